"""The camera page and its icon, from the generated page_data module.

The page is stored gzipped (tools/build_page.py writes page_data.py from
web/). Clients that accept gzip get the stored bytes as they are; the rare one
that does not gets it inflated on the fly in small pieces.
"""

import io

from camserver.http.response import Response

try:
    from camserver.app import page_data
except ImportError:  # before the page is generated: still serve something useful
    page_data = None

_FALLBACK = b"<!doctype html><title>camera</title><img src=/stream style=max-width:100%>"


def _inflate(data):
    import deflate

    # The page is compressed with a 4 KB window (tools/build_page.py WINDOW_BITS), so the
    # inflater needs only that much, and one reused 1 KB buffer carries the pieces.
    stream = deflate.DeflateIO(io.BytesIO(data), deflate.GZIP, 12)
    piece = bytearray(1024)
    while True:
        n = stream.readinto(piece)
        if not n:
            return
        yield memoryview(piece)[:n]


# Never inside another site's frame: a hostile page could frame the camera page and trick a
# click onto its controls (its own requests are same-origin, so the cross-site rule lets them by).
_NO_FRAMING = [("X-Frame-Options", "DENY"), ("Content-Security-Policy", "frame-ancestors 'none'")]


def index(request):
    """The page for GET /."""
    if page_data is None:
        return Response(_FALLBACK, content_type="text/html; charset=utf-8", headers=_NO_FRAMING)
    headers = [("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding")] + _NO_FRAMING
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers.append(("Content-Encoding", "gzip"))
        return Response(page_data.PAGE_GZ, content_type="text/html; charset=utf-8", headers=headers)
    return Response(_inflate(page_data.PAGE_GZ), content_type="text/html; charset=utf-8", headers=headers)


async def favicon(request):
    if page_data is None:
        return Response(b"", 204, None)
    return Response(
        page_data.FAVICON, content_type=page_data.FAVICON_TYPE, headers=[("Cache-Control", "max-age=86400")]
    )
