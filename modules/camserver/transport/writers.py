"""Response writers: the bytes that go on the wire for each kind of response body, written
through the connection's Sender (transport/sender.py). What the framing is (Content-Length or
chunked, whether the connection stays open) is the codec's call (http/framing.py); writing it
is I/O, so it is here. A body is one of:
  * a buffer (bytes, bytearray, memoryview, a camera frame; a str is encoded):
    sent with Content-Length, in chunk_size writes straight from the buffer;
    none at all for 204 and 304, which have no Content-Length either (RFC 9110 8.6);
  * a generator of buffers: length unknown, so HTTP/1.1 clients get chunked
    transfer encoding and HTTP/1.0 clients a body ended by closing;
  * a StreamBody: its `send(out)` writes through the Sender; sent raw and ended
    by closing the connection (MJPEG), or with Content-Length when it sets `length`
    (a rotated frame: app/exif.py). Its `close()` is always called (by
    Response.give_back), also when the client went away, so resources such as
    camera frames go back exactly once.
A HEAD request gets the head its GET would, and no body.
"""

from camserver.http import date, framing
from camserver.http.response import StreamBody, serialise_head
from camserver.transport.wait import DONE


def send(out, request, response, keep, extra):
    """Write response to request through out (a Sender); keep: framing.keep_alive's answer,
    extra: the header block every response carries. Await what it returns: for a buffer
    body that the socket took at once (nearly every response) that is wait.DONE, so no
    coroutine is allocated for it."""
    body = response.body
    # The kind of body, told once: generators have send() too, which is why streams are
    # told apart by class.
    if isinstance(body, StreamBody):
        return _stream(out, request, response, body, keep, extra)
    if hasattr(body, "__next__"):
        return _pieces(out, request, response, body, keep, extra)
    if response.status in (204, 304):
        length = None
    else:
        if isinstance(body, str):
            body = body.encode()
        length = len(body)
    head = serialise_head(response, length, request.version, keep, extra, date.line())
    if not length or request.method == "HEAD":
        return out.write(head)
    # Head and body usually fit the socket buffer: written here, not from a coroutine.
    rest = out.write(head, 0, len(head))
    if rest is not DONE:
        return _rest(out, rest, body, length)
    return out.write(body, 0, length)


async def _rest(out, head, body, length):
    await head  # the rest of the head (Sender.finish)
    await out.write(body, 0, length)


async def _stream(out, request, response, body, keep, extra):
    # Raw; without a length it ends with the connection. The StreamBody writes from here, not
    # from a writer coroutine of its own, because every frame's wake-up resumes through each
    # level of this await chain.
    await out.write(serialise_head(response, body.length, request.version, keep, extra, date.line()))
    if request.method != "HEAD":
        await body.send(out)


async def _pieces(out, request, response, body, keep, extra):
    chunked = framing.chunked(request)
    await out.write(serialise_head(response, None, request.version, keep, extra, date.line(), chunked))
    if request.method == "HEAD":
        return
    for piece in body:
        if chunked:
            if not len(piece):
                continue  # an empty chunk would end the body early
            await out.write(b"%x\r\n" % len(piece))  # the chunk's size line
            await out.write(piece)
            await out.write(b"\r\n")
        else:
            await out.write(piece)
    if chunked:
        await out.write(b"0\r\n\r\n")  # the last chunk
