"""The frozen manifest (firmware/manifest.py): executed against stand-ins for MicroPython's
manifest functions to check that every path it names exists and that it freezes exactly the
project's modules; every frozen module compiles with mpy-cross for the ESP32-S3 (xtensawin)."""

import pytest
from frozen_manifest import MANIFEST, ManifestError, StandIn
from fwtools import ROOT, compile_tree

# What only the unix port runs: the host entry and the simulated camera.
HOST_ONLY = {"camserver/host.py", "camserver/camera/sim.py", "camserver/device/partition_host.py"}


def test_manifest_freezes_every_module_the_board_runs_and_nothing_else():
    frozen = StandIn().run(MANIFEST)
    assert frozen.includes == ["$(PORT_DIR)/boards/manifest.py"]
    names = sorted(name for _, name in frozen.frozen)
    on_disk = sorted(str(p.relative_to(ROOT / "modules")) for p in (ROOT / "modules").rglob("*.py"))
    assert names == [name for name in on_disk if name not in HOST_ONLY]
    assert HOST_ONLY <= set(on_disk)  # the names above are real files, so the exclusion is real
    for name in ("main.py", "camserver/device/__init__.py", "camserver/app/__init__.py"):
        assert name in names


def test_the_stand_in_rejects_a_missing_path(tmp_path):
    bad = tmp_path / "manifest.py"
    bad.write_text('package("camserver", base_path="../no-such-folder")\n')
    with pytest.raises(ManifestError, match="does not exist"):
        StandIn().run(bad)
    bad.write_text('include("$(MPY_DIR)/some/other/manifest.py")\n')
    with pytest.raises(ManifestError, match="unknown MicroPython path"):
        StandIn().run(bad)


def test_every_frozen_module_compiles_for_the_esp32s3(tmp_path):
    # The esp32 build compiles frozen code with MICROPY_CROSS_FLAGS = -march=xtensawin.
    out = compile_tree(ROOT / "modules", tmp_path, extra_args=("-march=xtensawin",))
    frozen = StandIn().run(MANIFEST).frozen
    assert len(out) == len(frozen) + len(HOST_ONLY)
    total = sum(p.stat().st_size for p in out)
    print("frozen bytecode: %d modules, %d bytes" % (len(out), total))
    assert total < 512 * 1024  # a fraction of the 2.5 MiB app slot


def test_main_py_only_starts_the_device():
    code = [
        line
        for line in (ROOT / "modules" / "main.py").read_text().splitlines()
        if line.strip() and not line.startswith(('"""', "#")) and "frozen" not in line
    ]
    assert code == ["from camserver import device", "device.start()"]
