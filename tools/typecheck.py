"""`make lint`'s type check: the modules the firmware freezes, against the ESP32-S3 port's stubs.

basedpyright (requirements.txt) checks every file firmware/manifest.py freezes (not the host-only
ones) and components/camera_glue/camera_glue.pyi against micropython-esp32-esp32-generic-s3-stubs
(requirements-stubs.txt, installed into build/typings by `make typings`) and the camera_glue stub.
The rules are in pyproject.toml ([tool.basedpyright]): unknown modules, attributes and imports,
plus plain errors (undefined or possibly unbound names, bad calls, a coroutine never awaited).
README.md, "Type check", says how to satisfy it.
"""

import subprocess
import sys

from frozen_manifest import ROOT, frozen_files

TYPINGS = ROOT / "build" / "typings"
STUB = ROOT / "components" / "camera_glue" / "camera_glue.pyi"
BASEDPYRIGHT = ROOT / ".venv" / "bin" / "basedpyright"
# The interpreter basedpyright would ask for its search paths. CPython's (the venv's) would make
# its standard library and site-packages importable, so a CPython-only import would pass: no
# interpreter (a program that is none) leaves only the stubs and the project's own modules.
NO_INTERPRETER = "/bin/false"


def main():
    if not (TYPINGS / "stdlib").is_dir():
        sys.exit("error: no MicroPython stubs in %s: run `make typings`" % TYPINGS.relative_to(ROOT))
    if not BASEDPYRIGHT.exists():
        sys.exit("error: no %s: run `make venv`" % BASEDPYRIGHT.relative_to(ROOT))
    files = [str(p.relative_to(ROOT)) for p in frozen_files()] + [str(STUB.relative_to(ROOT))]
    done = subprocess.run([str(BASEDPYRIGHT), "--pythonpath", NO_INTERPRETER, *files], cwd=ROOT)
    if done.returncode != 0:
        print(
            "error: the type check of the frozen modules failed (above). Fix the code, or, for a "
            "deliberate exception, add `# pyright: ignore[<rule>] (why)` on the line; README.md, "
            "'Type check', has the details.",
            file=sys.stderr,
        )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
