"""`make flash-manifest` (firmware/flash_manifest.py): ESP Web Tools manifests per board, checked
against ESP Web Tools' documented manifest format and against partitions.csv, and the flash page
that offers them, in real Chromium. The images are stand-ins laid out as MicroPython's makeimg.py
lays out firmware.bin (no ESP-IDF here): an image header byte at 0 and at the app slot, and the
partition table that ESP-IDF's own gen_esp32part (esp-idf-defs) makes from partitions.csv."""

import functools
import http.server
import json
import os
import re
import subprocess
import threading

import pytest
from esp_idf_defs.partitions import APP_TYPE, PartitionTable
from fwtools import BOARDS, ROOT, make

CSV = (ROOT / "partitions.csv").read_text()
TABLE_OFFSET = 0x8000  # ESP-IDF's default, which the build keeps
# ESP Web Tools' manifest, as its type declarations document it (esp-web-tools 10.4.0,
# dist/const.d.ts: interfaces Manifest and Build).
MANIFEST_REQUIRED = {"name": str, "version": str, "builds": list}
MANIFEST_OPTIONAL = {
    "home_assistant_domain": str,
    "funding_url": str,
    "new_install_skip_erase": bool,
    "new_install_prompt_erase": bool,
    "new_install_improv_wait_time": int,
}
CHIP_FAMILIES = {
    "ESP32", "ESP32-C2", "ESP32-C3", "ESP32-C5", "ESP32-C6", "ESP32-C61", "ESP32-H2", "ESP32-P4", "ESP32-S2",
    "ESP32-S3", "ESP8266",
}  # fmt: skip
BUILD_KEYS = {"chipFamily", "parts", "serialType"}


def merged_image(csv=CSV, app_size=1_800_000):
    """A firmware.bin as makeimg.py writes it: bootloader at 0, table at 0x8000, app at ota_0."""
    table = PartitionTable.from_csv(csv)
    app = next(p for p in table if p.type == APP_TYPE)
    data = bytearray(b"\xff" * (app.offset + app_size))
    data[0:0x5000] = b"\xe9" + bytes(0x4FFF)
    binary = table.to_binary()
    data[TABLE_OFFSET : TABLE_OFFSET + len(binary)] = binary
    data[app.offset : app.offset + app_size] = b"\xe9" + bytes(app_size - 1)
    return bytes(data)


def images(tmp_path, boards, data=None):
    folder = tmp_path / "images"
    for board in boards:
        (folder / board).mkdir(parents=True)
        (folder / board / "firmware.bin").write_bytes(merged_image() if data is None else data)
    return folder


def flash_manifest(tmp_path, folder):
    return make("flash-manifest", "FLASH_IMAGES=%s" % folder, "FLASH_SITE=%s" % (tmp_path / "site"))


def check_documented_format(man):
    for key, kind in MANIFEST_REQUIRED.items():
        assert isinstance(man.get(key), kind), key
    for key, value in man.items():
        assert key in MANIFEST_REQUIRED or isinstance(value, MANIFEST_OPTIONAL[key]), key
    assert man["name"] and man["version"] and man["builds"]
    for build in man["builds"]:
        assert set(build) <= BUILD_KEYS and build["chipFamily"] in CHIP_FAMILIES
        assert build["parts"]
        for part in build["parts"]:
            assert set(part) == {"path", "offset"}
            assert isinstance(part["path"], str) and isinstance(part["offset"], int)
            assert not part["path"].startswith(("/", "http")), "paths are relative to the manifest"


def test_manifests_follow_the_documented_format_and_the_partition_table(tmp_path):
    built = [BOARDS[0], BOARDS[2]]
    proc = flash_manifest(tmp_path, images(tmp_path, built))
    assert proc.returncode == 0, proc.stderr
    site = tmp_path / "site"
    version = subprocess.run(
        ["git", "describe", "--tags", "--always", "--dirty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert "flash page: %s/index.html (%s, %s)" % (site, version, " ".join(built)) in proc.stdout
    listing = json.loads((site / "boards.json").read_text())
    assert listing["version"] == version
    assert [b["board"] for b in listing["boards"]] == built  # only the boards built
    table = PartitionTable.from_csv(CSV)
    ota_0 = next(p for p in table if p.type == APP_TYPE)
    for entry in listing["boards"]:
        board = entry["board"]
        man = json.loads((site / entry["manifest"]).read_text())
        check_documented_format(man)
        info = json.loads((ROOT / "boards" / board / "board.json").read_text())
        assert info["product"] in man["name"] and entry["name"] == man["name"]
        assert man["version"] == version
        assert [b["chipFamily"] for b in man["builds"]] == ["ESP32-S3"]
        # One part: the merged image at 0, where the ESP32-S3 bootloader starts and `make flash`
        # writes it (board.json's flash_offset); inside it, ESP-IDF's tool finds partitions.csv.
        (part,) = man["builds"][0]["parts"]
        assert part["offset"] == 0 == int(info["deploy_options"]["flash_offset"])
        image = (site / board / part["path"]).read_bytes()
        assert image[0] == 0xE9 and image[ota_0.offset] == 0xE9
        assert PartitionTable.from_binary(image[TABLE_OFFSET : TABLE_OFFSET + 0xC00]) == table
        assert len(image) <= ota_0.offset + ota_0.size
    assert (site / "index.html").read_bytes() == (ROOT / "web" / "flash" / "index.html").read_bytes()


def one_line(proc):
    assert proc.returncode != 0
    # make's own "make: *** [...] Error 1" (make[1] when run under make) follows the script's line.
    lines = [
        line
        for line in proc.stderr.splitlines()
        if line.strip() and not re.match(r"make(\[\d+\])?: \*\*\*", line)
    ]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_an_image_that_does_not_match_partitions_csv_is_not_published(tmp_path):
    other = CSV.replace("0x290000, 0x280000", "0x290000, 0x270000")  # ota_1 of another size
    line = one_line(flash_manifest(tmp_path, images(tmp_path / "a", BOARDS[:1], merged_image(other))))
    assert "the partition table at 0x8000 is not partitions.csv's" in line
    line = one_line(
        flash_manifest(tmp_path, images(tmp_path / "b", BOARDS[:1], merged_image(app_size=0x280001)))
    )
    assert "runs past the end of ota_0 by 1 bytes" in line
    line = one_line(flash_manifest(tmp_path, images(tmp_path / "c", BOARDS[:1], merged_image()[:0x10000])))
    assert "no app image at 0x10000 (ota_0)" in line
    line = one_line(flash_manifest(tmp_path, images(tmp_path / "d", BOARDS[:1], b"\xff" * 0x20000)))
    assert "no bootloader image at 0x0" in line
    assert not (tmp_path / "site").exists()


def test_nothing_built_says_what_to_run(tmp_path):
    (tmp_path / "empty").mkdir()
    line = one_line(flash_manifest(tmp_path, tmp_path / "empty"))
    assert "no %s/<BOARD>/firmware.bin" % (tmp_path / "empty") in line and "make firmware BOARD=" in line


def test_the_page_loads_the_pinned_esp_web_tools():
    page = (ROOT / "web" / "flash" / "index.html").read_text()
    (tag,) = re.findall(r"<script type=\"module\"[^>]*>", page)
    # An exact npm version (no range, no "latest"), and the entry file's hash.
    assert re.search(r'src="https://unpkg\.com/esp-web-tools@\d+\.\d+\.\d+/dist/web/install-button\.js"', tag)
    assert re.search(r'integrity="sha384-[A-Za-z0-9+/]{64}"', tag) and 'crossorigin="anonymous"' in tag
    assert "<esp-web-install-button" in page and 'slot="activate"' in page and 'slot="unsupported"' in page


@pytest.fixture
def site(tmp_path):
    assert flash_manifest(tmp_path, images(tmp_path, BOARDS)).returncode == 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "site"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_page_offers_every_built_board_in_chromium(site):
    # Real Chromium on loopback (a secure context, as HTTPS is). The ESP Web Tools script comes
    # from the CDN, which this machine cannot reach: the board list must not depend on it.
    chromium = "/usr/bin/chromium"
    if not os.path.exists(chromium):
        pytest.fail("%s is missing: run `sudo apt-get install -y chromium` (or `make sysdeps`)" % chromium)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--headless=new"], timeout=30_000)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.route("https://unpkg.com/**", lambda route: route.abort())
            page.goto(site + "/", wait_until="load")
            page.wait_for_function("!document.getElementById('board').disabled")
            options = page.eval_on_selector_all("#board option", "os => os.map(o => [o.value, o.text])")
            assert [value for value, _ in options] == ["%s/manifest.json" % b for b in BOARDS]
            assert all(text.startswith("camserver for ") for _, text in options)
            assert page.get_attribute("#install", "manifest") == "%s/manifest.json" % BOARDS[0]
            page.select_option("#board", "%s/manifest.json" % BOARDS[2])
            assert page.get_attribute("#install", "manifest") == "%s/manifest.json" % BOARDS[2]
            assert page.is_enabled("#activate")
            assert page.text_content("#version").startswith("firmware ")
            # What the button would fetch is there, next to the page.
            man = page.evaluate("fetch('%s/manifest.json').then(r => r.json())" % BOARDS[2])
            assert man["builds"][0]["parts"] == [{"path": "firmware.bin", "offset": 0}]
        finally:
            browser.close()
