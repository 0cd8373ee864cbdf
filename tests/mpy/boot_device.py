"""The whole device start as main.py runs it, on the MicroPython unix port, with the simulated
network of simnet.py and the real camera and server listening on loopback; runs until
the test stops the process (tests/firmware/test_device.py):

    micropython boot_device.py <settings path> <port> <frames dir> <networks as JSON>
"""

import json
import sys

from camserver import device
from simnet import FAST, SimNet

path, port, frames, networks = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
overrides = {"host": "127.0.0.1", "port": port, "frames_dir": frames}
# No esp32 or machine: a board's Wi-Fi and server start without its boot record or watchdog.
device.boot(SimNet(networks), None, None, None, path, overrides, wifi_options=FAST)
