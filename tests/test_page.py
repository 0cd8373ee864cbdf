"""The camera page module (modules/camserver/app/page_data.py): generated from web/, small, frozen-ready."""

import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import build_page  # tools/build_page.py (tools/ is on pytest's pythonpath)
import pytest
import simserver

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "build_page.py"
MODULE = ROOT / "modules" / "camserver" / "app" / "page_data.py"
BIN = Path(sys.executable).parent


def tool(name):
    """Path of a tool from the venv; a missing tool fails the test, never skips it."""
    path = str(BIN / name) if (BIN / name).exists() else shutil.which(name)
    if not path:
        pytest.fail("%s not found: run `make venv`" % name)
    return path


def micropython():
    """The MicroPython the rest of the suite runs (MICROPYTHON or the pinned one); missing fails."""
    path = simserver.micropython_binary()
    if not os.access(path, os.X_OK):
        pytest.fail("no MicroPython binary at %s: run `make venv`" % path)
    return path


def run_tool(*args):
    return subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_committed_module_is_up_to_date_with_web():
    r = run_tool("--check")
    assert r.returncode == 0, r.stderr


def test_regenerating_gives_the_same_module(tmp_path):
    out = tmp_path / "page_data.py"
    r = run_tool("--out", str(out))
    assert r.returncode == 0, r.stderr
    assert build_page.check(out) == []
    new, old = build_page.read_module(out), build_page.read_module(MODULE)
    for name in ("PAGE_LEN", "PAGE_ETAG", "PAGE_TYPE", "FAVICON", "FAVICON_TYPE"):
        assert new[name] == old[name], name
    assert gzip.decompress(new["PAGE_GZ"]) == gzip.decompress(old["PAGE_GZ"])
    # Deterministic: a second run writes the same bytes (gzip mtime 0).
    again = tmp_path / "again.py"
    assert run_tool("--out", str(again)).returncode == 0
    assert again.read_bytes() == out.read_bytes()
    assert new["PAGE_GZ"][4:8] == b"\0\0\0\0"


def test_check_notices_a_changed_page(tmp_path):
    web = tmp_path / "web"
    shutil.copytree(ROOT / "web", web)
    html = web / "index.html"
    html.write_text(html.read_text(encoding="utf-8").replace("<title>Camera</title>", "<title>X</title>"))
    r = run_tool("--check", "--web", str(web))
    assert r.returncode == 1
    assert "PAGE_GZ" in r.stderr
    (web / "favicon.svg").write_bytes(b"<svg/>")
    r = run_tool("--check", "--web", str(web))
    assert "FAVICON" in r.stderr


def test_page_is_small_and_self_contained():
    ns = build_page.read_module(MODULE)
    assert len(ns["PAGE_GZ"]) < build_page.LIMIT_GZ
    assert ns["FAVICON_TYPE"] == "image/svg+xml"
    raw = gzip.decompress(ns["PAGE_GZ"])
    assert len(raw) == ns["PAGE_LEN"]
    page = raw.decode("utf-8")
    # The board has no internet: nothing may load from another host (no CDN, no external fonts).
    external = re.search(r"(?i)(https?:)?//[a-z0-9-]+(\.[a-z0-9-]+)+", page)
    assert not external, external.group(0)
    assert "favicon.svg" in page
    for path in ("stream", "status", "control?var=", "capture", "wifi"):
        assert '"%s' % path in page, path


def test_module_compiles_and_decodes_on_micropython(tmp_path):
    mpy = tmp_path / "page_data.mpy"
    r = subprocess.run(
        [tool("mpy-cross"), "-o", str(mpy), str(MODULE)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0, r.stderr
    # The frozen constants decompress on MicroPython itself (a server can serve clients without gzip).
    code = (
        "import page_data as p, deflate, io, binascii\n"
        "d = deflate.DeflateIO(io.BytesIO(p.PAGE_GZ), deflate.GZIP).read()\n"
        "print(len(d), p.PAGE_LEN, '%08x' % binascii.crc32(d), p.PAGE_ETAG, len(p.FAVICON))\n"
    )
    r = subprocess.run(
        [micropython(), "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, MICROPYPATH=str(tmp_path)),
    )
    assert r.returncode == 0, r.stderr
    n, plen, crc, etag, nicon = r.stdout.split()
    ns = build_page.read_module(MODULE)
    assert int(n) == int(plen) == ns["PAGE_LEN"]
    assert crc == etag == ns["PAGE_ETAG"]
    assert int(nicon) == len(ns["FAVICON"])
