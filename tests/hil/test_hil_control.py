"""/control round trips through /status and changes the frames."""

from hil_http import jpeg_size

QVGA, VGA = 6, 10


def test_control_round_trip(camera):
    camera.set_framesize(QVGA)
    assert jpeg_size(camera.get("/capture").body) == (320, 240)
    camera.set_framesize(VGA)
    assert camera.status()["framesize"] == VGA
    assert jpeg_size(camera.get("/capture").body) == (640, 480)

    for var, val in (("quality", 20), ("brightness", 1), ("hmirror", 1)):
        r = camera.control(var, val)
        assert r.status == 200, (var, r.status, r.body)
        assert camera.status()[var] == val, var
    # Bad input is a 400 with a one-line reason, never a 500.
    for query in ("var=nosuch&val=1", "var=quality&val=abc", "var=framesize&val=99", "var=quality"):
        r = camera.get("/control?" + query)
        assert r.status == 400, (query, r.status)
        assert r.body.strip() and b"\n" not in r.body.strip(), (query, r.body)
    assert camera.status()["quality"] == 20, "a rejected request must not change anything"
