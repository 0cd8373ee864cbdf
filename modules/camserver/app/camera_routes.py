"""The camera's HTTP API, with CameraWebServer's names.

/capture  /snapshot  /?action=snapshot   one fresh JPEG
/stream   /?action=stream                MJPEG to any number of viewers
/status                                  settings, counters, viewers (JSON)
/control?var=NAME&val=INT                change one setting
"""

import json
import time

from camserver.app import mjpeg
from camserver.app.buffers import Hold
from camserver.camera import sensor
from camserver.http.errors import HTTPError
from camserver.http.response import NO_STORE, Response, text

CAPTURE_TIMEOUT_MS = 5000  # esp32-camera's fb_get gives up after 4 s


class CameraRoutes:
    """Handlers bound to one camera, its frame hub and the server (for counters)."""

    def __init__(self, camera, hub, server, config):
        self.camera = camera
        self.hub = hub
        self.server = server
        self.keepalive_ms = config["stream_keepalive_ms"]
        # The settable ranges, for the page's controls: fixed, so built once.
        self.limits = {}
        for name in sensor.RANGES:
            self.limits[name] = sensor.RANGES[name][:2]

    def _need_camera(self):
        if not getattr(self.camera, "available", True):
            raise HTTPError(503, "camera not available", headers=[("Retry-After", "10")])

    async def capture(self, request):
        """One JPEG captured after the request arrived (never a stale buffer)."""
        self._need_camera()
        since = time.time_ns() // 1000
        holder = request.conn
        shared = await self.hub.fresh(since, CAPTURE_TIMEOUT_MS, holder)
        if shared is None:
            raise HTTPError(503, "camera did not deliver a frame in time", headers=[("Retry-After", "1")])
        sec, usec = divmod(shared.us, 1000000)
        response = Response(
            shared.payload,
            content_type="image/jpeg",
            headers=[
                ("Content-Disposition", "inline; filename=capture.jpg"),
                ("X-Timestamp", "%d.%06d" % (sec, usec)),
                NO_STORE[0],
            ],
        )
        response.hold = Hold(self.hub.buffers, shared, holder)
        return response

    async def stream(self, request):
        self._need_camera()
        fps = request.query.get("fps", "0")
        if not fps.isdigit() or int(fps) > 100:
            raise HTTPError(400, "fps must be an integer from 0 (no cap) to 100")
        body = mjpeg.MjpegStream(self.hub, request.peer, int(fps), self.keepalive_ms)
        return Response(
            body,
            content_type=mjpeg.CONTENT_TYPE,
            headers=[NO_STORE[0], ("X-Framerate", str(self.hub.fps))],
        )

    async def status(self, request):
        out = self.camera.status()
        out.update(self.server.stats(request.query.get("gc") == "1"))
        viewers, frames = self.hub.stats()
        out["viewers"] = viewers
        out["frames"] = frames
        out["frames_out"] = self.camera.frames_out()
        out["limits"] = self.limits
        sizes = []
        for index in out.get("framesizes", ()):
            name, width, height = sensor.FRAMESIZES[index]
            sizes.append([index, name, width, height])
        out["framesizes"] = sizes
        return Response(json.dumps(out), content_type="application/json", headers=NO_STORE)

    async def control(self, request):
        query = request.query
        name = query.get("var")
        value = query.get("val")
        if not name or value is None:
            raise HTTPError(400, "control needs var and val")
        try:
            number = int(value)
        except ValueError:
            raise HTTPError(400, "val must be an integer, got %r" % value)
        try:
            self.camera.set(name, number)
        except ValueError as e:
            raise HTTPError(400, str(e))
        return text(200, "ok", NO_STORE)
