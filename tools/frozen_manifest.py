"""The frozen manifest (firmware/manifest.py) run against stand-ins for MicroPython's manifest
functions: what it would freeze, without a MicroPython tree. Used by the manifest's tests and by
the type check of the frozen modules (tools/typecheck.py); `python tools/frozen_manifest.py`
prints the files.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "firmware" / "manifest.py"
# Paths inside the pinned MicroPython (v1.28.0) the manifest may name; checked against a real
# tree as well when MPY_DIR points at one (`git ls-tree v1.28.0 ports/esp32/boards/manifest.py`).
PINNED_PATHS = {"$(PORT_DIR)/boards/manifest.py": "ports/esp32/boards/manifest.py"}


class ManifestError(Exception):
    pass


class StandIn:
    """The functions MicroPython's tools/manifestfile.py gives a manifest in freeze mode, recording
    what they would freeze. Relative paths resolve against the manifest's folder, as there."""

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


def frozen_files(manifest=MANIFEST):
    """The project's files the manifest freezes (paths on disk), sorted."""
    return sorted(path for path, _ in StandIn().run(manifest).frozen)


if __name__ == "__main__":
    for path in frozen_files():
        print(path.relative_to(ROOT))
