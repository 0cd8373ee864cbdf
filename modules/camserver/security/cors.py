"""CORS: which other origin may read the camera's answers.

By default none: no Access-Control-Allow-Origin, so a page on another origin
can neither read frames nor /status. `cors_origin` names one origin (or `*`,
CameraWebServer's behaviour); every response then carries
Access-Control-Allow-Origin (one header block built at start, server.py), and
that origin's preflights are granted, Private-Network-Access included (a page
on a public origin asking for a LAN address). A preflight (OPTIONS) is
answered without credentials, as browsers send none with it.
"""

from camserver.http.response import Response


def allow_origin_header(config):
    """The header block every response carries, encoded once at start (b"" by default)."""
    origin = config["cors_origin"]
    if origin:
        return ("Access-Control-Allow-Origin: %s\r\n" % origin).encode()
    return b""


def preflight(config, router):
    """A before-hook answering OPTIONS for the paths router knows (unknown ones get its 404)."""
    allowed_origin = config["cors_origin"]

    def hook(request):
        if request.method != "OPTIONS":
            return None
        allowed = router.allowed(request.path)
        if allowed is None:
            return None
        methods = ", ".join(allowed)
        headers = [("Allow", methods)]
        origin = request.headers.get("origin")
        if allowed_origin and origin is not None and (allowed_origin == "*" or origin == allowed_origin):
            headers.append(("Access-Control-Allow-Methods", methods))
            headers.append(("Access-Control-Allow-Headers", "Authorization, Content-Type"))
            headers.append(("Access-Control-Max-Age", "600"))
            if request.headers.get("access-control-request-private-network") == "true":
                headers.append(("Access-Control-Allow-Private-Network", "true"))
        return Response(b"", 204, None, headers)

    return hook
