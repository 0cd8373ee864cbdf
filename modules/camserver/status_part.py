"""A part of /status kept as JSON: made again only when what it shows has changed.

Every open page polls /status once a second. Most of its parts change far less often (the
camera's health, the update, the boot record, the MQTT link, the motion detector while it is
off), and turning a dict into JSON costs more on the board than everything else the request
does: each part is kept as the bytes of its members (no braces, ready to join) and rebuilt when
key() differs. CameraRoutes.status joins them (app/camera_routes.py).
"""

import json


class StatusPart:
    def __init__(self, status, key):
        self.status = status  # () -> dict: the members this part adds to /status
        self.key = key  # () -> a value that differs whenever status() would
        self._key = self  # (no key() returns this: the first json() builds it)
        self._json = b""

    def json(self):
        key = self.key()
        if key != self._key:
            self._key = key
            self._json = json.dumps(self.status())[1:-1].encode()
        return self._json
