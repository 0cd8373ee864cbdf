"""Body framing: the bytes that go on the wire for each kind of response body.

The connection only moves bytes: it hands send() the request, the response and
its Sender (transport/sender.py); the body's kind decides the framing. A body is one of:
  * a buffer (bytes, bytearray, memoryview, a camera frame; a str is encoded):
    sent with Content-Length, in chunk_size writes straight from the buffer;
    none at all for 204 and 304, which have no Content-Length either (RFC 9110 8.6);
  * a generator of buffers: length unknown, so HTTP/1.1 clients get chunked
    transfer encoding and HTTP/1.0 clients a body ended by closing;
  * a StreamBody: its `send(out)` writes through the Sender; sent raw and ended
    by closing the connection (MJPEG), or with Content-Length when it sets `length`
    (a rotated frame: app/exif.py). Its `close()` is always called (by
    Response.release), also when the client went away, so resources such as
    camera frames go back exactly once.
A HEAD request gets the head its GET would, and no body.
"""

from camserver.http import date
from camserver.http.response import StreamBody, serialise_head


async def send(out, request, response, extra):
    """Write response to request through out; extra is the header block every response
    carries. Returns True when the connection may carry another request."""
    body = response.body
    # The kind of body, told once: generators have send() too, which is why streams are
    # told apart by class.
    if isinstance(body, StreamBody):
        # Raw; without a length it ends with the connection. Sent from here, not from a writer
        # coroutine of its own, because every frame's wake-up resumes through each level of this
        # await chain.
        length = body.length
        keep = length is not None and request.keep_alive and not response.close
        await out.write(serialise_head(response, length, request.version, keep, extra, date.line()))
        if request.method != "HEAD":
            await body.send(out)
        return keep
    if hasattr(body, "__next__"):
        return await _pieces(out, request, response, body, extra)
    # A buffer: the body nearly every response has, so written here rather than by a writer
    # coroutine of its own (each await of a coroutine allocates).
    keep = request.keep_alive and not response.close
    if response.status in (204, 304):
        length = None
    else:
        if isinstance(body, str):
            body = body.encode()
        length = len(body)
    # Head and body usually fit the socket buffer: each write then returns wait.DONE and only
    # one that has to wait allocates the sender's waiting coroutine.
    await out.write(serialise_head(response, length, request.version, keep, extra, date.line()))
    if length and request.method != "HEAD":
        await out.write(body, 0, length)
    return keep


async def _pieces(out, request, response, body, extra):
    chunked = request.version == 11
    keep = chunked and request.keep_alive and not response.close
    await out.write(serialise_head(response, None, request.version, keep, extra, date.line(), chunked))
    if request.method == "HEAD":
        return keep
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
    return keep


def closing(response, extra, date=b""):
    """A short response that ends the connection (an error reply, a refusal), head and
    body as one bytes object: written in one non-blocking call, with no Sender."""
    body = response.body.encode()  # text() gives a str
    return serialise_head(response, len(body), 11, False, extra, date) + body
