"""The camera application: routes, the frame hub and the page, on the HTTP server.

serve(config, camera, address, wifi_changes, ota, boot) is what the board (camserver.device)
and the host (camserver.host) run once the camera is initialised.
"""

import asyncio

from camserver import log
from camserver.app import diagnostics, ota_route, page, wifi_form
from camserver.app.camera_routes import CameraRoutes
from camserver.app.persist import Persist
from camserver.frames.hub import FrameHub
from camserver.http.errors import HTTPError
from camserver.motion.detector import Motion
from camserver.router import Router
from camserver.security import Guards
from camserver.server import Server
from camserver.status_part import StatusPart


def build(config, camera, wifi_changes=None, ota=None, boot=None, reset_device=None):
    """The server (main port, and port + 1 when stream_port is on), the hub and the settings'
    Persist. camera None (the board's camera failed, or safe mode) serves the page and /status,
    and 503 for frames; wifi_changes (camserver.device.WifiChanges) backs the page's Wi-Fi form and
    holds the settings file's store /control changes are saved through (None: no form, nothing saved); ota
    (camserver.device.ota.Updater, with reset(cause, reason)) backs POST /ota (None: no route);
    boot (camserver.device.health.BootCheck) hears when the server listens and adds to /status;
    reset_device(cause, reason) (camserver.device.reset) resets the device when the camera cannot
    be recovered (None: the recovery ladder stops at "failed", as in-process tests want)."""
    if camera is None:
        from camserver.camera import absent as camera
    guards = Guards(config)
    router = Router()
    guards.install(router)
    server = Server(config, router)
    hub = FrameHub(camera, config, reset_device)
    hub.motion = motion = Motion(camera, config)
    keeps = wifi_changes is not None and wifi_changes.keeps_settings
    persist = Persist(config, wifi_changes.store if keeps else None)
    routes = CameraRoutes(camera, hub, server, config, persist)
    if hub.health is not None:
        routes.parts.append(hub.health)
    routes.parts.append(StatusPart(lambda: {"motion": motion.status()}, motion.status_values))

    async def root(request):
        # mjpg-streamer clients ask for /?action=stream and /?action=snapshot.
        action = request.query.get("action") if request.query_string else None
        if action == "stream":
            return await routes.stream(request)
        if action == "snapshot":
            return await routes.capture(request)
        return page.index(request)

    async def stream_root(request):
        if request.query_string and request.query.get("action") == "stream":
            return await routes.stream(request)
        raise HTTPError(404, "this port serves only the stream: /stream or /?action=stream")

    router.add("GET", "/", root)
    router.add("GET", "/favicon.ico", page.favicon)
    router.add("GET", "/favicon.svg", page.favicon)
    for path in ("/capture", "/snapshot"):
        router.add("GET", path, routes.capture)
    router.add("GET", "/stream", routes.stream)
    router.add("GET", "/status", routes.status)
    router.add("GET", "/control", routes.control, changes_state=True)
    router.add("POST", "/control/reset", routes.reset, changes_state=True)
    diagnostics.add_routes(router, config, camera, hub)
    reset = None
    if ota is not None:

        def reset(cause="ota", reason=None):
            persist.flush()  # machine.reset() skips serve()'s finally: write a pending change now
            ota.reset(cause, reason or "updated to " + ota.target_name)

        handler = ota_route.ota_route(ota, hub, reset)
        router.add("POST", "/ota", handler, changes_state=True, stream_body=True)
    if ota is not None or boot is not None:
        routes.parts.append(StatusPart(lambda: _device_status(ota, boot), lambda: _device_key(ota, boot)))
    if boot is not None:
        server.on_listening = boot.listening
    if wifi_changes is not None:
        wifi_changes.on_link_lost = server.listener.drop_all
        router.add("POST", "/wifi", wifi_form.wifi_route(config, wifi_changes), changes_state=True)
    if config["stream_port"]:
        # CameraWebServer clients hard-code :81/stream. That port serves the stream and nothing
        # else, behind the same guards (Host check, auth) as the main one.
        stream_router = Router()
        guards.install(stream_router)
        stream_router.add("GET", "/stream", routes.stream)
        stream_router.add("GET", "/", stream_root)
        server.add_port(config["port"] + 1, stream_router)
    if config["rtsp_port"]:
        # RTSP clients get the same frames from the same hub, within the same connection budget,
        # behind the same credentials (no Host or Origin rules: there is no browser).
        from camserver.rtsp.connection import RtspConnection
        from camserver.rtsp.service import RtspService

        server.rtsp = RtspService(config, hub, guards.auth, server.listener)  # pyright: ignore[reportAttributeAccessIssue] (a slot Server declares None)
        server.add_port(config["rtsp_port"], server.rtsp, RtspConnection, "rtsp")
    if config["mqtt_host"]:
        # Home Assistant over MQTT: commands take /control's path (routes.change).
        from camserver.mqtt.service import MqttService

        try:
            restart = None if reset is None else lambda: reset("restart", "the restart button (MQTT)")
            mqtt = MqttService(config, routes, hub, server, restart)
        except (OSError, ValueError) as e:  # (mqtt_tls without ssl, an unreadable mqtt_ca): the camera serves
            log.error("mqtt: %s; MQTT is off", e)
        else:
            mqtt.attach_motion(motion)
            mqtt.last_reset = boot.status().get("last_reset") if boot is not None else None
            server.mqtt = mqtt  # pyright: ignore[reportAttributeAccessIssue] (a slot Server declares None)
            routes.parts.append(StatusPart(lambda: {"mqtt": mqtt.status()}, mqtt.status_values))
    return server, hub, persist


def start_mqtt(server, address):
    """Start the MQTT service built with the server (mqtt_host set), as a task; returns the
    function that stops it cleanly (publishes offline, DISCONNECT), or None without MQTT."""
    mqtt = server.mqtt
    if mqtt is None:
        return None
    task = asyncio.create_task(mqtt.run(address))

    def stop():
        task.cancel()
        mqtt.stop()

    return stop


def _device_status(ota, boot):
    out = boot.status() if boot is not None else {}
    if ota is not None:
        out["ota"] = ota.status()
    return out


def _device_key(ota, boot):
    """What moves in _device_status: the boot's health check (and with it the failed-boot count)
    and an upload's progress; the rest is fixed at boot."""
    return (
        boot.result if boot is not None else None,
        boot.record.fails if boot is not None else 0,
        (ota.state, ota.bytes, ota.error) if ota is not None else None,
    )


async def serve(config, camera, address, wifi_changes=None, ota=None, boot=None, reset_device=None):
    """Serve until cancelled. Prints `camera ready: http://<address>/` once listening.
    Whatever ends it, its tasks are cancelled and its sockets closed, so the
    device can call it again."""
    server, hub, persist = build(config, camera, wifi_changes, ota, boot, reset_device)
    grabber = asyncio.create_task(hub.run())
    saver = asyncio.create_task(persist.run())
    stop_mqtt = start_mqtt(server, address)
    try:
        await server.run(address)
    finally:
        if stop_mqtt is not None:
            stop_mqtt()
        grabber.cancel()
        saver.cancel()
        persist.flush()  # a change not yet written is not lost when the server stops
        server.listener.close()
