# Frozen manifest of the camserver firmware (MicroPython manifest syntax, run by the esp32 build's
# tools/manifestfile.py; relative paths are relative to this file).
# ruff: noqa: F821 - include/package/module are provided by the manifest runner

import os

# Everything the stock esp32 firmware freezes: _boot.py and inisetup.py (they mount the "vfs"
# partition as /), asyncio, and the micropython-lib networking bundle.
include("$(PORT_DIR)/boards/manifest.py")

# The camera server package, and the main.py that starts it at every boot. Not frozen: what only
# the unix port runs, the host entry (host.py), the simulated camera (camera/sim.py and its motion
# test scene camera/sim_motion.py), which the
# board never opens (its firmware has camera_glue; a camera that fails to start is camera/absent.py),
# and the host doubles of the network, esp32 and machine modules (device/*_host.py; the board has the
# real ones).
# The build runs this file from its own folder, so the relative walk finds the modules.
HOST_ONLY = ("host.py", "camera/sim.py", "camera/sim_motion.py")
HOST_ONLY += tuple("device/%s_host.py" % name for name in ("partition", "esp32", "machine", "network"))
board_files = []
for folder, _, names in os.walk("../modules/camserver"):
    for name in names:
        rel = os.path.relpath(os.path.join(folder, name), "../modules/camserver").replace(os.sep, "/")
        if name.endswith(".py") and rel not in HOST_ONLY:
            board_files.append(rel)
package("camserver", files=sorted(board_files), base_path="../modules")
module("main.py", base_path="../modules")
