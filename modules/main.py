"""The board's entry point, frozen into the firmware: MicroPython runs main.py at every boot (a
frozen main.py wins over one on the filesystem). Everything else is in camserver.device, which the
sim (camserver.host) runs with host doubles of these modules."""

import camera_glue
import esp32
import machine
import network
from camserver import device

device.boot(network, esp32, machine, camera_glue.reset_reason)
