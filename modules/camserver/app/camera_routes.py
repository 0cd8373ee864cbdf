"""The camera's HTTP API, with CameraWebServer's names.

/capture  /snapshot  /?action=snapshot   one fresh JPEG
/stream   /?action=stream                MJPEG to any number of viewers
/status                                  settings, counters, viewers (JSON)
/control?var=NAME&val=INT                change one setting (saved: app/persist.py)
POST /control/reset                      every camera setting back to its default
"""

import json
import time

from camserver import settings
from camserver.app import exif, mjpeg
from camserver.camera import missing, sensor
from camserver.clock import wall
from camserver.frames.buffers import Lease
from camserver.http.errors import HTTPError
from camserver.http.response import NO_STORE, Response, text
from camserver.motion import detector

CAPTURE_TIMEOUT_MS = 5000  # esp32-camera's fb_get gives up after 4 s
# Headers of the hot routes in wire form (see http/response.py Response).
_NO_RTSP = b'{"port": 0, "sessions": 0}'  # /status "rtsp" with rtsp_port 0
_CAPTURE_HEADERS = b"Content-Disposition: inline; filename=capture.jpg\r\nX-Timestamp: %d.%06d\r\n" + NO_STORE


class CameraRoutes:
    """Handlers bound to one camera, its frame hub and the server (for counters)."""

    def __init__(self, camera, hub, server, config, persist):
        self.camera = camera
        self.hub = hub
        self.server = server
        self.config = config
        self.persist = persist
        self.keepalive_ms = config["stream_keepalive_ms"]
        self._stream_headers = NO_STORE + b"X-Framerate: %d\r\n" % hub.fps
        # /status in parts, as JSON members (bytes): the camera's settings until a /control
        # changes them, and the ranges and frame sizes, which never change (see status).
        self._settings_json = None
        self._fixed_json = None
        self.parts = []  # more /status members (the update, safe mode, MQTT): app/status_part.py
        self.watchers = []  # (name, value) after each setting changed, whatever changed it (MQTT)
        self._rotate(config["rotate"])  # (checked: settings.check)

    def _rotate(self, rotate):
        # Frames published from now on carry the EXIF segment (app/exif.py); built here, once.
        self.hub.buffers.prefix = exif.segment(rotate)
        self.config["rotate"] = rotate

    def _need_camera(self):
        reason = missing(self.camera)
        if reason is not None:
            raise HTTPError(503, reason, headers=[("Retry-After", "10")])
        if self.hub.suspended:
            raise HTTPError(503, self.hub.suspended, headers=[("Retry-After", "30")])

    async def capture(self, request):
        """One JPEG captured after the request arrived (never a stale buffer)."""
        self._need_camera()
        since = time.time_ns() // 1000
        holder = request.conn
        shared = await self.hub.fresh(since, CAPTURE_TIMEOUT_MS, holder)
        if shared is None:
            self._need_camera()  # (an update that began meanwhile says so)
            reason = self.hub.recovering() or "camera did not deliver a frame in time"
            raise HTTPError(503, reason, headers=[("Retry-After", "1")])
        sec, usec = shared.stamp
        body = exif.RotatedFrame(shared) if shared.prefix else shared.payload
        response = Response(body, content_type="image/jpeg", headers=_CAPTURE_HEADERS % (sec, usec))
        response.lease = Lease(self.hub.buffers, shared, holder)  # pyright: ignore[reportAttributeAccessIssue] (a slot Response declares None)
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
            headers=self._stream_headers,
        )

    async def status(self, request):
        # Every open page polls this once a second. Serialising the thirty-odd settings and
        # the ranges each time cost more than all the rest, and they only change through
        # control() below: so they are kept as JSON, and only the counters are dumped anew.
        if self._settings_json is None:
            camera = self.camera.status()
            sizes = camera.pop("framesizes", ())
            # (the backend's grab count would go stale here; frames.grabbed counts the same grabs)
            camera.pop("grabbed", None)
            camera["rotate"] = self.config["rotate"]
            if self.hub.motion is not None:
                camera.update(self.hub.motion.settings())
            self._settings_json = json.dumps(camera)[1:-1].encode()
            if self._fixed_json is None:
                self._fixed_json = _fixed_json(sizes)
        # (the query string is looked at first: parsing an empty one still costs two calls)
        stats = self.server.stats(bool(request.query_string) and request.query.get("gc") == "1")
        stats["viewers"], stats["frames"] = self.hub.stats()
        stats["frames_out"] = self.camera.frames_out()
        rtsp = self.server.rtsp
        body = [
            b"{",
            self._settings_json,
            b", ",
            json.dumps(stats)[1:-1].encode(),
            b', "rtsp": ',
            rtsp.status_json() if rtsp is not None else _NO_RTSP,
            b', "settings": ',
            self.persist.status_json(),
            b', "clock": ',
            wall.status_json(),
            b", ",
            self._fixed_json,
        ]
        for part in self.parts:
            members = part.json()
            if members:  # ({} in JSON: nothing to add)
                body.append(b", ")
                body.append(members)
        body.append(b"}")
        return Response(b"".join(body), content_type="application/json", headers=NO_STORE)

    async def control(self, request):
        query = request.query
        name = query.get("var")
        value = query.get("val")
        if not name or value is None:
            raise HTTPError(400, "control needs var and val")
        try:
            self.change(name, value)
        except ValueError as e:
            raise HTTPError(400, str(e))
        return text(200, "ok", NO_STORE)

    def change(self, name, value):
        """Set one setting from its text (a /control val, an MQTT command): the one path every
        source takes, so each is validated, saved and announced alike. ValueError with a
        one-line reason (nothing changed) when the value is refused."""
        if name in settings.TABLE:
            # The same check and reason as SET= and the settings file (the camera then refuses a
            # setting it lacks or a size it does not offer, in its own words).
            number = settings.check(name, value)
        else:  # (a backend may know settings the table does not: it checks them itself)
            try:
                number = int(value)
            except ValueError:
                raise ValueError("val must be an integer, got %r" % value)
        try:
            if name == "rotate":
                self._rotate(number)
            elif (name in detector.SETTINGS or name == detector.ZONES) and self.hub.motion is not None:
                self.hub.motion.set(name, number)
                self.hub.wake.set()  # an idle grabber (paused at idle_fps 0) takes the new rate
            else:
                self.camera.set(name, number)
        finally:
            self._settings_json = None  # /status reads the settings afresh
        if name in settings.DEFAULTS:  # (a backend may know settings this table does not: not kept)
            self.config[name] = number
            self.persist.changed()
        self._announce(name, number)

    def _announce(self, name, value):
        for watcher in self.watchers:
            watcher(name, value)

    async def reset(self, request):
        """Every camera setting and rotate back to its default (saved like a /control change);
        answers with /status. Network and server settings are left as they are. Without a
        camera (safe mode, or it did not start) the defaults are still saved: a saved setting
        that stops the camera is fixed this way, and the next boot starts with them."""
        camera = self.camera
        present = missing(camera) is None
        for name in sensor.RANGES:
            default = settings.DEFAULTS[name]
            try:
                if camera.get(name) != default:
                    camera.set(name, default)
            except ValueError:  # a setting this camera lacks (no LED) or a size it does not offer
                if present:
                    continue
            self.config[name] = default
            self._announce(name, default)
        self._rotate(0)
        self._announce("rotate", 0)
        self._settings_json = None
        self.persist.changed()
        return await self.status(request)


def _fixed_json(framesizes):
    """ "limits" (the settable ranges, for the page's controls) and "framesizes" ([index,
    name, width, height] for each size the camera offers), as JSON members."""
    limits = {}
    for name in sensor.RANGES:
        limits[name] = sensor.RANGES[name][:2]  # (camera_glue.RANGES is the same table: tests/c checks)
    for name in detector.SETTINGS:
        spec = settings.TABLE[name]
        limits[name] = (0, 1) if len(spec) == 1 else spec[1:3]  # ("motion" is a flag)
    sizes = []
    for index in framesizes:
        name, width, height = sensor.FRAMESIZES[index]
        sizes.append([index, name, width, height])
    return json.dumps({"limits": limits, "framesizes": sizes})[1:-1].encode()
