# Frozen manifest of the camserver firmware (MicroPython manifest syntax, run by the esp32 build's
# tools/manifestfile.py; relative paths are relative to this file).
# ruff: noqa: F821 - include/package/module are provided by the manifest runner

# Everything the stock esp32 firmware freezes: _boot.py and inisetup.py (they mount the "vfs"
# partition as /), asyncio, and the micropython-lib networking bundle.
include("$(PORT_DIR)/boards/manifest.py")

# The camera server package, and the main.py that starts it at every boot.
package("camserver", base_path="../modules")
module("main.py", base_path="../modules")
