"""/capture gives one valid, fresh JPEG."""

import time

from hil_http import jpeg_size, parse_timestamp


def test_capture_is_a_valid_fresh_jpeg(camera, on_board):
    first = camera.get("/capture")
    assert first.status == 200, first.body[:200]
    assert first.headers["content-type"] == "image/jpeg"
    assert int(first.headers["content-length"]) == len(first.body)
    assert "filename=capture.jpg" in first.headers.get("content-disposition", "")
    w, h = jpeg_size(first.body)
    assert w > 0 and h > 0

    # Fresh: captured after the request arrived, never a frame buffered earlier.
    time.sleep(0.5)
    sent = time.time()
    second = camera.get("/capture")
    assert second.status == 200
    jpeg_size(second.body)
    t1 = parse_timestamp(first.headers["x-timestamp"])
    t2 = parse_timestamp(second.headers["x-timestamp"])
    # The device clock is its own (a board without NTP starts near 0), so the
    # portable check is relative: the second still was taken >= 0.5 s after the first.
    assert t2 - t1 >= 0.45, "stale capture: timestamps %.6f then %.6f" % (t1, t2)
    assert second.body != first.body
    if not on_board:
        # The sim shares the host clock, so freshness can be checked absolutely.
        assert t2 >= sent - 0.002, "capture %.6f predates the request %.6f" % (t2, sent)
