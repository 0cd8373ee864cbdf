"""The camera application: routes on top of the HTTP server."""

from camserver.router import Router
from camserver.server import Server
from camserver.http.response import Response
import json

TEST_BODY = None


def build(config, camera):
    router = Router()
    server = Server(config, router)

    async def status(request):
        return Response(json.dumps(server.stats()), content_type="application/json")

    async def test_body(request):
        global TEST_BODY
        if TEST_BODY is None:
            TEST_BODY = bytearray(120000)
        return Response(TEST_BODY, content_type="application/octet-stream")

    router.add("GET", "/status", status)
    router.add("GET", "/test/body", test_body)
    return server


async def serve(config, camera, address):
    await build(config, camera).run(address)
