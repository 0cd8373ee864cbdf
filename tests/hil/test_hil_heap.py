"""After a burst of load the heap in use returns to where it was."""

import threading

from hil_http import abort_mid_body, jpeg_size

TOLERANCE = 0.05


def load(camera):
    """Two viewers, stills and aborted downloads at the same time."""
    errors = []

    def viewer():
        try:
            with camera.stream() as s:
                for _ in range(40):
                    s.next_part()
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=viewer) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(10):
        jpeg_size(camera.get("/capture").body)
        abort_mid_body(camera, "/stream" if i % 2 else "/capture", after=4096)
        camera.status()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors


def test_heap_back_to_baseline_after_load(camera):
    # Warm up every path once so lazily created objects exist before the baseline.
    jpeg_size(camera.get("/capture").body)
    with camera.stream() as s:
        s.next_part()
    base = camera.wait_idle()["heap"]  # wait_idle asks /status?gc=1: collected before reporting
    load(camera)
    after = camera.wait_idle()["heap"]
    print(
        "heap alloc before %d after %d (free %d -> %d)"
        % (base["alloc"], after["alloc"], base["free"], after["free"])
    )
    assert abs(after["alloc"] - base["alloc"]) <= TOLERANCE * base["alloc"], (base, after)
