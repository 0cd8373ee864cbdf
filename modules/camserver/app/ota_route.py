"""POST /ota: a firmware image, streamed into the next OTA partition (camserver.device.ota).

The updater is passed in (device/ota.py Updater: its block size and Busy error too), so the app
imports nothing of the device.

    POST /ota  Content-Length: <bytes>  X-SHA256: <64 hex digits>  (or ?sha256=)  body: the app image

The body is read block by block as it arrives (the route streams its body: router.py), so the
image never sits in RAM. While it is written the camera stops grabbing and every stream is
closed (a camera holding its frame buffers while flash is written is the reboot-mid-update of
the field reports); /capture and /stream answer 503 until the update ends. The answer is the
result (200, or the reason); /status shows progress as ota {state, bytes, total}. After a
verified image the device resets into it, after reset_delay_ms so the answer gets out.
"""

import asyncio

from camserver import log
from camserver.http.errors import HTTPError
from camserver.http.response import NO_STORE, text

_HEX = "0123456789abcdef"


def _refused(request, status, reason, close=False):
    """The HTTPError for an upload the camera refuses, its reason also one WARNING line on the
    console (the uploader may be a script whose output nobody reads). A client that goes away
    mid-upload is not refused: that stays quiet, as every client that leaves does."""
    log.warning("ota: refused from %s: %s", request.peer, reason)
    return HTTPError(status, reason, close=close)


def _sha(request):
    sha = request.headers.get("x-sha256") or (request.query.get("sha256") if request.query_string else None)
    if not sha or len(sha) != 64 or any(c not in _HEX for c in sha.lower()):
        raise _refused(request, 400, "send the image's SHA-256 as an X-SHA256 header (64 hex digits)")
    return sha


def ota_route(updater, hub, reset, reset_delay_ms=1000):
    """The handler; updater: camserver.device.ota.Updater (or one with its methods, block and
    Busy); reset() reboots the device (machine.reset on the board)."""

    async def ota(request):
        if "content-length" not in request.headers:
            raise _refused(request, 411, "Content-Length required: send the image with its length")
        total = request.content_length()
        sha = _sha(request)
        if not total:
            raise _refused(request, 400, "empty image")
        capacity = updater.capacity()
        if total > capacity:
            reason = "image of %d bytes is larger than the %d-byte partition" % (total, capacity)
            raise _refused(request, 413, reason)
        try:
            writer = updater.begin(total)
        except updater.Busy as e:
            raise _refused(request, 409, str(e) or "an update is already running", close=True)
        except ValueError as e:  # a partition this writer cannot use
            raise _refused(request, 500, str(e), close=True)
        log.info("ota: receiving %d bytes for %s from %s", total, updater.target_name, request.peer)
        hub.suspend("firmware update in progress")
        reason = None  # why it failed, when the client may still read it
        done = False
        try:
            block = bytearray(updater.block)
            while True:
                n = await request.read_into(block)
                if not n:
                    break
                writer.feed(block, n)
                updater.progress()
            writer.finish(sha)
            done = True
        except ValueError as e:
            reason = str(e)
            raise _refused(request, 400, reason, close=True)
        except HTTPError as e:
            reason = e.reason
            raise
        except OSError as e:  # (a client gone is an HTTPError from read_into)
            reason = "flash write failed: %s" % e
            raise _refused(request, 500, reason, close=True)
        finally:
            if not done:
                # Whatever ended it (a bad image, the client gone, the watchdog), nothing was
                # switched: the camera comes back and the next upload may start.
                updater.failed(reason or _reason(updater))
                hub.resume()
        updater.succeeded()
        log.info("ota: %s written and verified, rebooting into it", updater.target_name)
        asyncio.create_task(_reset_later(reset, reset_delay_ms))
        message = "ok: %d bytes written to %s, SHA-256 verified; rebooting" % (total, updater.target_name)
        response = text(200, message, NO_STORE)
        response.close = True
        return response

    return ota


def _reason(updater):
    writer = updater.writer
    if writer is None:
        return "aborted"
    return "upload ended after %d of %d bytes" % (writer.written, writer.total)


async def _reset_later(reset, delay_ms):
    await asyncio.sleep_ms(delay_ms)
    reset()
