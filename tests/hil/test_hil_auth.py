"""HTTP Basic auth, when enabled, guards every route."""

import pytest
from hil_http import jpeg_size

USER, PASSWORD = "hil", "s3cret-pass"


@pytest.fixture
def auth(on_board, board_auth):
    if on_board and not board_auth:
        pytest.skip("board auth is configured in its settings file; run with HIL_AUTH=user:password")
    return board_auth or (USER, PASSWORD)


@pytest.mark.sim_settings(auth_user=USER, auth_password=PASSWORD)
def test_auth_guards_every_route(camera, auth):
    for path in ("/", "/status", "/capture", "/control?var=quality&val=10"):
        r = camera.get(path, auth=False)
        assert r.status == 401, (path, r.status)
        assert r.headers.get("www-authenticate", "").lower().startswith("basic"), path
        r = camera.get(path, auth=(auth[0], auth[1] + "x"))
        assert r.status == 401, (path, "wrong password", r.status)
    with camera.stream(auth=False, check_status=False) as s:
        assert s.status == 401, ("/stream", s.status)
        assert s.reply.header("www-authenticate", "").lower().startswith("basic"), "/stream"

    camera.auth = auth
    assert camera.get("/").status == 200
    assert camera.status()["backend"]
    jpeg_size(camera.get("/capture").body)
    with camera.stream() as s:
        jpeg_size(s.next_part()[1])
