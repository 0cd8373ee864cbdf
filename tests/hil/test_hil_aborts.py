"""Clients that go away mid-frame are normal browser behaviour: the device says
nothing about them at the default log level and keeps serving."""

import pytest
from hil_console import error_lines, read_console
from hil_http import abort_mid_body, jpeg_size

ABORTS = 50
UXGA = 15  # 100-160 kB frames: much larger than what is in flight when the client resets


def test_50_aborts_mid_frame_leave_no_error_lines(camera):
    camera.set_framesize(UXGA)
    before = read_console(camera.dut, quiet=0.3)
    assert not error_lines(before), error_lines(before)

    frame_len = int(camera.get("/capture").headers["content-length"])
    received = []
    for i in range(ABORTS):
        # Alternate stills and streams, and a reset with a plain close.
        path = "/capture" if i % 2 == 0 else "/stream"
        status, got = abort_mid_body(camera, path, after=4096, reset=(i % 4 != 3))
        assert status == 200, "abort %d: %s answered %d" % (i, path, status)
        received.append(got)
    # Mid-frame for real: no client got anywhere near a whole frame.
    assert max(received) < frame_len // 2, (max(received), frame_len)

    # The device gave every slot back and still answers, with whole frames.
    camera.wait_idle()
    r = camera.get("/capture")
    assert r.status == 200
    assert jpeg_size(r.body) == (1600, 1200)
    with camera.stream() as s:
        jpeg_size(s.next_part()[1])

    console = read_console(camera.dut, quiet=1.0)
    assert not error_lines(console), "\n".join(error_lines(console))


@pytest.mark.sim_settings(settings="tests/hil/unknown_setting.json")
def test_error_line_detector_fires_on_a_real_warning(camera, on_board):
    # The check above is only worth something if it can fire on this console. A
    # settings file with an unknown name makes the sim log one WARNING at boot.
    assert error_lines(b"1.234s ERROR send failed\n") == ["1.234s ERROR send failed"]
    assert not error_lines(b"1.234s INFO GET /capture 200\n1.235s TRACE 127.0.0.1:1 went away\n")
    if on_board:
        pytest.skip("the board's settings file is not under the test's control")
    found = error_lines(camera.boot_log)
    assert len(found) == 1 and "no_such_setting" in found[0], found
