"""The board's entry point, frozen into the firmware: MicroPython runs main.py at every boot (a
frozen main.py wins over one on the filesystem). Everything else is in camserver.device."""

from camserver import device

device.start()
