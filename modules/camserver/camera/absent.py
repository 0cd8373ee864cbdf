"""The camera stand-in when the board's camera failed to start.

The device still serves the page, /status and Wi-Fi setup; frame routes answer
503 (CameraRoutes checks `available`) instead of waiting for frames.
"""

available = False
reason = "camera not available"  # what frame routes answer (503); safe mode says so here


def grab():
    return None


def poll_ms():
    return 1000


def get(name):
    raise ValueError("no camera")


def set(name, value):  # noqa: A001 - the CameraWebServer verb
    raise ValueError("no camera")


def status():
    return {"backend": "none", "framesizes": []}


def frames_out():
    return 0
