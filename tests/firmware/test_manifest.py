"""The frozen manifest (firmware/manifest.py): executed against stand-ins for MicroPython's
manifest functions to check that every path it names exists and that it freezes exactly the
project's modules; every frozen module compiles with mpy-cross for the ESP32-S3 (xtensawin)."""

import ast
import os
from pathlib import Path

import pytest
from fwtools import ROOT, compile_tree

MANIFEST = ROOT / "firmware" / "manifest.py"
# Paths inside the pinned MicroPython (v1.28.0) the manifest may name; checked against a real
# tree as well when MPY_DIR points at one (`git ls-tree v1.28.0 ports/esp32/boards/manifest.py`).
PINNED_PATHS = {"$(PORT_DIR)/boards/manifest.py": "ports/esp32/boards/manifest.py"}


class ManifestError(Exception):
    pass


class StandIn:
    """The functions tools/manifestfile.py gives a manifest in freeze mode, recording what they
    would freeze. Relative paths resolve against the manifest's folder, as there."""

    def __init__(self):
        self.frozen = []  # (path on disk, name in the firmware)
        self.includes = []

    def _resolve(self, path, here):
        if path.startswith("$("):
            if path not in PINNED_PATHS:
                raise ManifestError("unknown MicroPython path " + path)
            mpy_dir = os.environ.get("MPY_DIR")
            if mpy_dir and not (Path(mpy_dir) / PINNED_PATHS[path]).exists():
                raise ManifestError("%s is not in MPY_DIR=%s" % (path, mpy_dir))
            return None
        full = (here / path).resolve()
        if not full.exists():
            raise ManifestError("%s does not exist" % full)
        return full

    def run(self, manifest):
        here = manifest.parent

        def include(path, **kwargs):
            self.includes.append(path)
            full = self._resolve(path, here)
            if full is not None:
                self.run(full / "manifest.py" if full.is_dir() else full)

        def package(name, files=None, base_path=".", opt=None):
            base = self._resolve(base_path, here)
            root = self._resolve(str(Path(base_path) / name), here)
            if not (root / "__init__.py").exists():
                raise ManifestError("package %s has no __init__.py" % root)
            # files: paths relative to the package, as tools/manifestfile.py takes them.
            paths = sorted(root.rglob("*.py")) if files is None else [root / f for f in files]
            for path in paths:
                if not path.is_file():
                    raise ManifestError("%s does not exist" % path)
                self.frozen.append((path, str(path.relative_to(base))))

        def module(name, base_path=".", opt=None):
            if not name.endswith(".py"):
                raise ManifestError("module must be a .py file: " + name)
            full = self._resolve(str(Path(base_path) / name), here)
            self.frozen.append((full, name))

        def freeze(path, script=None, opt=None):
            full = self._resolve(path, here)
            if full is not None:
                for p in sorted(full.rglob("*.py")):
                    self.frozen.append((p, str(p.relative_to(full))))

        def require(name, **kwargs):
            raise ManifestError("require(%r): micropython-lib packages are not vendored here" % name)

        functions = dict(include=include, package=package, module=module, freeze=freeze, require=require)
        # tools/manifestfile.py runs a manifest from its own folder.
        cwd = os.getcwd()
        os.chdir(here)
        try:
            exec(compile(manifest.read_text(), str(manifest), "exec"), functions)
        finally:
            os.chdir(cwd)
        return self


# What only the unix port runs: the host entry, the simulated camera and the host doubles.
HOST_ONLY = {"camserver/host.py", "camserver/camera/sim.py", "camserver/device/partition_host.py"}
HOST_ONLY |= {"camserver/device/%s_host.py" % name for name in ("esp32", "machine", "network")}


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


def test_main_py_only_boots_the_device_with_the_board_modules():
    tree = ast.parse((ROOT / "modules" / "main.py").read_text())
    code = [ast.unparse(node) for node in tree.body[1:]]  # (after the docstring)
    assert code == [
        "import camera_glue",
        "import esp32",
        "import machine",
        "import network",
        "from camserver import device",
        "device.boot(network, esp32, machine, camera_glue.reset_reason)",
    ]
