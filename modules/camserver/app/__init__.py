"""The camera application: routes, the frame hub and the page, on the HTTP server.

serve(config, camera, address) is what the board (camserver.device) and the
host (camserver.host) run once the camera is initialised.
"""

import asyncio

from camserver import log
from camserver.app import guards, page
from camserver.app.camera_routes import CameraRoutes
from camserver.app.hub import FrameHub
from camserver.http.response import Response
from camserver.router import Router
from camserver.server import Server

_test_body = None


async def _test_body_route(request):
    """A fixed 120 kB body (the size of a UXGA frame) for benchmarks."""
    global _test_body
    if _test_body is None:
        _test_body = bytearray(120000)
    return Response(_test_body, content_type="application/octet-stream")


def build(config, camera):
    """The servers (main port, and port + 1 when stream_port is on) and the hub."""
    router = Router()
    server = Server(config, router)
    hub = FrameHub(camera, config)
    routes = CameraRoutes(camera, hub, server)
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
    router.add("GET", "/test/body", _test_body_route)
    for path in ("/", "/capture", "/snapshot", "/stream", "/status", "/control"):
        router.add("OPTIONS", path, _no_content)
    servers = [server]
    if config["stream_port"]:
        # CameraWebServer clients hard-code :81/stream. Same router, so auth covers it too.
        servers.append(Server(config, router))
    return servers, hub


async def _no_content(request):
    return Response(b"", 204, None)


async def serve(config, camera, address):
    """Serve until cancelled. Prints `camera ready: http://<address>/` once listening."""
    servers, hub = build(config, camera)
    asyncio.create_task(hub.run())
    if len(servers) > 1:
        stream_server = servers[1]
        stream_server.listener.bind(config["host"], config["port"] + 1)
        log.info("stream also on port %d", config["port"] + 1)
        asyncio.create_task(stream_server.listener.serve())
    await servers[0].run(address)
