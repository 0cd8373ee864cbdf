#!/usr/bin/env bash
# A unix MicroPython with one revision's modules/ frozen into it, as the board freezes them, for
# comparing that revision's code with another's under `make cost` (docs/benchmarks.md, "with the
# modules frozen"). Loaded from .mpy files, every name a module uses goes into a dynamic qstr pool
# that is searched one entry at a time; frozen, the names sit in a sorted pool that is bisected. So
# .mpy runs make larger programs look slower than they are on the board, and only frozen builds
# compare code with code.
#
#   bench/frozen.sh REV OUT        e.g. bench/frozen.sh 9f2f1d8 /tmp/fz-base
#
# makes OUT/tree (a detached worktree of REV, its build/mpy holding only main.mpy so the frozen
# modules are the ones imported) and OUT/micropython (without camera_glue, the sim camera's Python
# path, unless CAMERA_GLUE=1),
# then prints the command that measures it. The MicroPython source is MPY_DIR, else the one
# `make unix-port` unpacks into build/deps. Nothing here is committed: OUT is a scratch folder.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 REV OUT" >&2; exit 2; }
REV=$1
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. "$ROOT/firmware/versions.env"
MPY_DIR=${MPY_DIR:-$ROOT/build/deps/micropython-$MICROPY_VERSION}
if [ ! -d "$MPY_DIR/ports/unix" ]; then
  make -C "$ROOT" unix-port >/dev/null
fi
[ -x "$ROOT/.venv/bin/python" ] || make -C "$ROOT" venv >/dev/null

TREE=$OUT/tree
if [ ! -d "$TREE" ]; then
  git -C "$ROOT" worktree add --detach -q "$TREE" "$REV"
fi
ln -sfn "$ROOT/.venv" "$TREE/.venv"

# asyncio as the board freezes it. MicroPython's make wants a micropython-lib folder before it
# freezes anything, even one the manifest does not use: an empty one stands in.
mkdir -p "$OUT/empty" && echo "no micropython-lib" >"$OUT/empty/README.md"
cat >"$OUT/manifest.py" <<EOF
include("\$(MPY_DIR)/extmod/asyncio")
package("camserver", base_path="$TREE/modules")
EOF
# CAMERA_GLUE=1: with REV's camera_glue (the C path), as `make unix-port` builds it.
GLUE=()
[ "${CAMERA_GLUE:-0}" = 1 ] && GLUE=(USER_C_MODULES="$TREE/components")
env -u MAKEFLAGS -u MAKELEVEL make -C "$MPY_DIR/mpy-cross" -j2 >"$OUT/build.log" 2>&1
env -u MAKEFLAGS -u MAKELEVEL make -C "$MPY_DIR/ports/unix" -j2 BUILD="$OUT/obj" "${GLUE[@]}" \
  FROZEN_MANIFEST="$OUT/manifest.py" MPY_LIB_DIR="$OUT/empty" \
  MICROPY_PY_BTREE=0 MICROPY_PY_FFI=0 STRIP= >>"$OUT/build.log" 2>&1 ||
  { tail -20 "$OUT/build.log" >&2; exit 1; }
cp "$OUT/obj/micropython" "$OUT/micropython"

make -C "$TREE" -s -o .venv/.stamp compile frames >/dev/null  # (the venv is ROOT's: never remade here)
find "$TREE/build/mpy" -mindepth 1 ! -name main.mpy -delete
echo "$OUT/micropython: $REV's modules frozen. Measure with:"
echo "  cd $TREE && PYTHONPATH=tests:tests/rtsp .venv/bin/python bench/cost.py --binary $OUT/micropython --only ..."
