"""The camera application: routes, the frame hub and the page, on the HTTP server.

serve(config, camera, address) is what the board (camserver.device) and the
host (camserver.host) run once the camera is initialised.
"""

import asyncio

from camserver import log
from camserver.app import diagnostics, guards, page, setup_routes
from camserver.app.camera_routes import CameraRoutes
from camserver.app.hub import FrameHub
from camserver.router import Router
from camserver.server import Server


def build(config, camera, settings_path=None):
    """The servers (main port, and port + 1 when stream_port is on) and the hub.
    camera None (the board's camera failed) serves the page and /status, and 503 for frames."""
    if camera is None:
        from camserver.camera import absent as camera
    router = Router()
    server = Server(config, router)
    hub = FrameHub(camera, config)
    routes = CameraRoutes(camera, hub, server, config)
    router.before.append(guards.cors_preflight(config, router))
    auth = guards.basic_auth(config)
    if auth is not None:
        router.before.append(auth)

    async def root(request):
        # mjpg-streamer clients ask for /?action=stream and /?action=snapshot.
        action = request.query.get("action") if request.query_string else None
        if action == "stream":
            return await routes.stream(request)
        if action == "snapshot":
            return await routes.capture(request)
        return page.index(request)

    router.add("GET", "/", root)
    router.add("GET", "/favicon.ico", page.favicon)
    router.add("GET", "/favicon.svg", page.favicon)
    for path in ("/capture", "/snapshot"):
        router.add("GET", path, routes.capture)
    router.add("GET", "/stream", routes.stream)
    router.add("GET", "/status", routes.status)
    router.add("GET", "/control", routes.control)
    diagnostics.add_routes(router, config, camera)
    router.add("POST", "/wifi", setup_routes.wifi_route(config, settings_path))
    servers = [server]
    if config["stream_port"]:
        # CameraWebServer clients hard-code :81/stream. Same router, so auth covers it too.
        servers.append(Server(config, router, shares_with=server))
    return servers, hub


async def serve(config, camera, address, settings_path=None):
    """Serve until cancelled. Prints `camera ready: http://<address>/` once listening.
    Whatever ends it, its tasks are cancelled and its sockets closed, so the
    device can call it again."""
    servers, hub = build(config, camera, settings_path)
    tasks = [asyncio.create_task(hub.run())]
    try:
        if len(servers) > 1:
            stream_server = servers[1]
            stream_server.listener.bind(config["host"], config["port"] + 1)
            log.info("stream also on port %d", config["port"] + 1)
            tasks.append(asyncio.create_task(stream_server.listener.serve()))
        await servers[0].run(address)
    finally:
        for task in tasks:
            task.cancel()
        for server in servers:
            server.listener.close()
