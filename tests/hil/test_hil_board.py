"""Checks that only mean something on a real board (skipped on the sim, with the reason)."""

import pytest

MiB = 1024 * 1024


@pytest.mark.board_only("the sim has no camera sensor; the C camera_glue backend runs only on hardware here")
def test_board_uses_the_camera_driver(camera):
    st = camera.status()
    assert st["backend"] == "camera_glue", st["backend"]
    assert st["pixformat"] == 4, "the sensor must deliver JPEG (PIXFORMAT_JPEG is 4)"


@pytest.mark.board_only("the sim's heap size is a command-line flag (-X heapsize), not PSRAM")
def test_heap_lives_in_psram(camera):
    # Internal SRAM alone cannot give MicroPython more than ~300 kB; a multi-MB heap
    # means the firmware found and uses the PSRAM (octal or quad, per board).
    heap = camera.status()["heap"]
    assert heap["free"] + heap["alloc"] >= 2 * MiB, heap
