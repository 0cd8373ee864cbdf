"""The camera page in a real browser: Debian's Chromium, headless, driven by Playwright, against the real
MicroPython server (the `sim` fixture). Never a downloaded browser: without /usr/bin/chromium these fail."""

import io
import json
import os
import socket
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # evil.test is a name the attacker controls and points at this machine (the rebinding test).
    # camera.test is a camera on the LAN by name (an http:// origin Chromium does not trust).
    "--host-resolver-rules=MAP evil.test 127.0.0.1, MAP camera.test 127.0.0.1",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

# A cheap fingerprint of the decoded pixels of the live <img>: proves the JPEG decoded (size and
# non-black pixels) and lets the test see the picture change.
PIXELS_JS = """async () => {
  const i = document.getElementById("live");
  for (let t = 0; t < 20; t++) {
    try { await i.decode(); } catch (e) { continue; }  // src changed meanwhile: wait for the next one
    if (!i.complete || !i.naturalWidth) continue;
    const c = document.createElement("canvas");
    c.width = i.naturalWidth; c.height = i.naturalHeight;
    const x = c.getContext("2d");
    x.drawImage(i, 0, 0);
    const d = x.getImageData(0, 0, c.width, c.height).data;
    let h = 0, lit = 0;
    for (let k = 0; k < d.length; k += 7) { h = (h * 31 + d[k]) | 0; lit += d[k] > 40; }
    return [c.width, c.height, h, lit];
  }
  return null;
}"""


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("%s is missing: run `sudo apt-get install -y chromium` (or `make sysdeps`)" % CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        # launch() gives every run a fresh temporary profile (user-data-dir).
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, timeout=30_000)
        yield b
        b.close()


class Tab:
    """One browser tab on the camera page, recording console errors and uncaught exceptions."""

    def __init__(self, browser, url, viewport=DESKTOP, **options):
        self.ctx = browser.new_context(viewport=viewport, accept_downloads=True, **options)
        self.ctx.set_default_timeout(15_000)
        self.page = self.ctx.new_page()
        self.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append("console: " + m.text))
        self.page.on("pageerror", lambda e: self.errors.append("exception: %s" % e))
        self.page.goto(url + "/", wait_until="load")

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)

    def wait(self, expr, arg=None, timeout=15_000):
        self.page.wait_for_function(expr, arg=arg, timeout=timeout, polling=100)

    def close(self):
        self.ctx.close()


@pytest.fixture
def tabs(browser):
    opened = []

    def open_tab(url, viewport=DESKTOP, **options):
        t = Tab(browser, url, viewport, **options)
        opened.append(t)
        return t

    yield open_tab
    for t in opened:
        t.close()


def status(sim):
    with urllib.request.urlopen(sim.url + "/status", timeout=5) as r:
        return json.loads(r.read())


def status_with_password(sim, key):
    req = urllib.request.Request(sim.url + "/status", headers={"Authorization": "Basic YWRtaW46c2VjcmV0"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())[key]


def wait_status(sim, key, value, timeout=10):
    end = time.monotonic() + timeout
    while True:
        s = status(sim)
        if s.get(key) == value:
            return s
        if time.monotonic() > end:
            raise AssertionError("/status %s stayed %r, expected %r" % (key, s.get(key), value))
        time.sleep(0.1)


@pytest.mark.timeout(120)
def test_live_view_controls_snapshot_without_console_errors(sim, tabs):
    cam = sim()
    tab = tabs(cam.url)
    page = tab.page
    # Live view starts on load, decodes, and keeps changing.
    tab.wait("window.cam && cam.shown >= 3")
    seen = set()
    for _ in range(6):
        px = tab.js(PIXELS_JS)
        assert px, "the live image never finished decoding"
        w, h, digest, lit = px
        assert w > 0 and h > 0 and lit > 1000, (w, h, lit)
        seen.add(digest)
        time.sleep(0.3)
    assert len(seen) >= 3, "the live image does not change"
    time.sleep(1.2)  # one readout period
    rate = page.locator("#rate").inner_text()
    # Frames were counted in the readout period (how many depends on the machine, not the page).
    assert "fps" in rate and "kB/s" in rate and float(rate.split()[0]) > 0, rate

    # Frame size from the UI: the picture and /status follow.
    page.select_option("#c-framesize", "6")
    tab.wait("live.naturalWidth === 320 && live.naturalHeight === 240")
    assert wait_status(cam, "framesize", 6)["framesize"] == 6
    page.select_option("#c-framesize", "10")
    tab.wait("live.naturalWidth === 640 && live.naturalHeight === 480")
    wait_status(cam, "framesize", 10)
    assert tab.js("document.getElementById('c-framesize').value") == "10"

    # A switch and a slider round-trip through /control, and the page shows what the server holds.
    was = status(cam)["hmirror"]
    page.click("#c-hmirror")
    wait_status(cam, "hmirror", 1 - was)
    lo, hi = status(cam)["limits"]["quality"]
    q = (lo + hi) // 2
    tab.js(
        "q => { const i = document.getElementById('c-quality'); i.value = q;"
        " i.dispatchEvent(new Event('input')); i.dispatchEvent(new Event('change')); }",
        q,
    )
    wait_status(cam, "quality", q)
    time.sleep(2.5)  # two /status polls later the controls still show the server's values
    assert tab.js("document.getElementById('c-hmirror').checked") == (1 - was == 1)
    assert tab.js("+document.getElementById('c-quality').value") == q

    # Snapshot: shown on the page, and downloadable as a JPEG of the current frame size.
    page.click("#snap")
    tab.wait(
        "!document.getElementById('snapbox').hidden && document.getElementById('still').naturalWidth > 0"
    )
    assert tab.js("[still.naturalWidth, still.naturalHeight]") == [640, 480]
    with page.expect_download(timeout=10_000) as dl:
        page.click("#dl")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "snapshot.jpg"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.startswith("capture-") and dl.value.suggested_filename.endswith(".jpg")
    from PIL import Image

    with Image.open(io.BytesIO(path.read_bytes())) as im:
        assert im.format == "JPEG" and im.size == (640, 480)

    tab.wait("cam.shown > 0 && !live.classList.contains('off')")
    tab.js("scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "camera_page.png"), full_page=True)
    assert tab.errors == []


# Which corner of the live picture, as the browser draws it, is white: the test card's grey ramp
# ends white at the bottom right of the captured frame (tests/camera/test_persist_rotate.py).
WHITE_CORNER_JS = """async () => {
  const i = document.getElementById("live");
  try { await i.decode(); } catch (e) { return null; }
  const c = document.createElement("canvas");
  c.width = i.naturalWidth; c.height = i.naturalHeight;
  const x = c.getContext("2d");
  x.drawImage(i, 0, 0);
  const at = {"top-left": [4, 4], "top-right": [c.width - 5, 4], "bottom-left": [4, c.height - 5],
              "bottom-right": [c.width - 5, c.height - 5]};
  return Object.keys(at).filter((k) => { const d = x.getImageData(at[k][0], at[k][1], 1, 1).data;
    return d[0] + d[1] + d[2] > 3 * 225; });
}"""


def _white_corner(tab, expected):
    for _ in range(20):  # the picture may be mid-swap: look at the next one
        corners = tab.js(WHITE_CORNER_JS)
        if corners == [expected]:
            return
        time.sleep(0.1)
    raise AssertionError("white corner %r, expected %r" % (corners, expected))


@pytest.mark.timeout(120)
def test_rotation_is_shown_saved_and_reset_from_the_page(sim, tabs, tmp_path):
    cam = sim(settings=tmp_path / "settings.json", save_delay_ms=300)
    tab = tabs(cam.url)
    page = tab.page
    tab.wait("window.cam && cam.shown >= 2 && live.naturalWidth === 640")
    _white_corner(tab, "bottom-right")
    # The stream's parts carry the EXIF orientation; Chromium turns each picture it decodes.
    page.select_option("#c-rotate", "90")
    tab.wait("live.naturalWidth === 480 && live.naturalHeight === 640")
    _white_corner(tab, "bottom-left")
    assert wait_status(cam, "rotate", 90)["rotate"] == 90
    tab.wait("document.getElementById('saved').textContent === 'Saved'")
    assert json.loads((tmp_path / "settings.json").read_text())["rotate"] == 90
    page.click("#snap")
    tab.wait(
        "!document.getElementById('snapbox').hidden && document.getElementById('still').naturalWidth > 0"
    )
    assert tab.js("[still.naturalWidth, still.naturalHeight]") == [480, 640]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "camera_page_rotated.png"), full_page=True)
    # Reset to defaults (after the page's confirm): upright again, and the file forgets rotate.
    page.once("dialog", lambda d: d.accept())
    page.click("#reset")
    tab.wait("live.naturalWidth === 640 && live.naturalHeight === 480")
    assert wait_status(cam, "rotate", 0)["rotate"] == 0
    tab.wait("document.getElementById('c-rotate').value === '0'")
    wait_status(cam, "settings", {"saved": True, "writes": 2, "error": None})
    assert "rotate" not in json.loads((tmp_path / "settings.json").read_text())
    assert tab.errors == []


@pytest.mark.timeout(90)
def test_stop_start_fullscreen_and_phone_layout(sim, tabs):
    cam = sim()
    tab = tabs(cam.url, PHONE)
    page = tab.page
    tab.wait("cam.shown >= 2")
    # The page fits a phone screen: no sideways scrolling.
    assert tab.js("document.documentElement.scrollWidth <= innerWidth")

    page.click("#run")
    assert page.locator("#run").inner_text() == "Start"
    # The server sees the viewer go away, and no frames arrive while stopped.
    end = time.monotonic() + 10
    while status(cam)["viewers"]:
        assert time.monotonic() < end, "the stopped stream is still a viewer"
        time.sleep(0.2)
    n = tab.js("cam.recv")
    time.sleep(1.0)
    assert tab.js("cam.recv") == n
    assert page.locator("#ov").inner_text() == "Stopped"
    assert tab.js("document.getElementById('dot').className") == "dot warn"
    page.click("#run")
    tab.wait("cam.recv >= %d" % (n + 3))
    assert page.locator("#ov").is_hidden()

    page.click("#full")
    box = "document.getElementById('frame')"
    tab.wait("document.fullscreenElement === %s || %s.classList.contains('max')" % (box, box))
    shown = tab.js("cam.shown")
    tab.wait("cam.shown >= %d" % (shown + 2))
    page.screenshot(path=str(ARTIFACTS / "camera_page_fullscreen.png"))
    page.click("#frame")  # a tap on the picture leaves fullscreen
    tab.wait("!document.fullscreenElement && !%s.classList.contains('max')" % box)

    # The header shows live (green) and this viewer, as the server counts it, again.
    tab.wait("document.getElementById('dot').className === 'dot ok'")
    tab.wait("/^1 viewer/.test(document.getElementById('hs').textContent.split(' · ')[1])", timeout=5_000)
    tab.wait("/^[0-9.]+ fps/.test(document.getElementById('rate').textContent)", timeout=5_000)
    page.locator("#dev summary").click()
    page.screenshot(path=str(ARTIFACTS / "camera_page_phone.png"), full_page=True)
    assert tab.errors == []


class Cable:
    """A loopback TCP relay between the browser and the server that the test can unplug: it stands in
    for Wi-Fi dropping (open connections die, new ones are refused) without touching the server."""

    def __init__(self, port):
        self.up = ("127.0.0.1", port)  # where new connections go (a test may point it elsewhere)
        self.lsock = socket.create_server(("127.0.0.1", 0))
        self.lsock.settimeout(0.2)
        self.url = "http://127.0.0.1:%d" % self.lsock.getsockname()[1]
        self.plugged = True
        self.socks = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                continue
            if not self.plugged:
                c.close()
                continue
            try:
                u = socket.create_connection(self.up, timeout=5)
            except OSError:
                c.close()
                continue
            with self.lock:
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            a.settimeout(None)
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def unplug(self):
        self.plugged = False
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.stop = True
        self.unplug()
        self.thread.join(2)
        self.lsock.close()


@pytest.mark.timeout(90)
def test_lost_connection_is_shown_and_live_view_reconnects(sim, tabs):
    cam = sim()
    cable = Cable(cam.port)
    try:
        tab = tabs(cable.url)
        tab.wait("cam.shown >= 3")
        cable.unplug()
        # Both the live view and the status poll report the loss.
        tab.wait("/Live view lost/.test(ov.textContent) && !ov.hidden")
        tab.wait("/Lost connection/.test(document.getElementById('err').textContent)")
        assert tab.js("document.getElementById('dot').className") in ("dot warn", "dot bad")
        time.sleep(1.5)
        n = tab.js("cam.shown")
        cable.plugged = True
        # It comes back by itself (backoff is at most 8 s) and the error goes away.
        tab.wait("cam.shown >= %d && ov.hidden" % (n + 3), timeout=20_000)
        tab.wait("document.getElementById('err').hidden", timeout=5_000)
        # Failed requests while unplugged are logged by the browser itself; the page threw nothing.
        assert [e for e in tab.errors if not e.startswith("console: Failed to load resource")] == []
    finally:
        cable.close()


@pytest.mark.timeout(90)
def test_refused_setting_and_lost_authorisation_are_shown(sim, tabs):
    cam = sim(wifi_mode="ap")  # the Wi-Fi form is open on the setup access point only (without auth)
    locked = sim(auth_user="admin", auth_password="secret")
    cable = Cable(cam.port)
    try:
        # Playwright answers a Basic challenge with these credentials once, then cancels it as a person
        # cancelling the browser's login prompt would (headless Chromium has no prompt to show).
        tab = tabs(cable.url, http_credentials={"username": "admin", "password": "wrong"})
        tab.wait("cam.shown >= 2 && document.getElementById('c-quality')")
        # The server refuses a value (400 with a reason): the page shows the reason and the server's value.
        q = status(cam)["quality"]
        tab.js(
            "() => { const i = document.getElementById('c-quality'); i.max = 99; i.value = 99;"
            " i.dispatchEvent(new Event('change')); }"
        )
        tab.wait("/Quality.*: quality .*99/.test(document.getElementById('err').textContent)", timeout=5_000)
        tab.wait("+document.getElementById('c-quality').value === %d" % q, timeout=5_000)
        assert tab.js("document.getElementById('c-quality').closest('.row').classList.contains('fail')")
        assert status(cam)["quality"] == q
        # The Wi-Fi form posts to the server and shows its answer (a refused password: nothing is saved).
        tab.page.locator("#dev summary").click()
        tab.page.fill("#wifi [name=ssid]", "home")
        tab.page.fill("#wifi [name=password]", "short")
        tab.page.once("dialog", lambda d: d.accept())
        tab.page.click("#wifi button")
        tab.wait("/^Not saved: .*password/.test(document.getElementById('wmsg').textContent)", timeout=5_000)
        # The camera comes back with a password (Basic auth): the page says so instead of spinning.
        cable.unplug()
        cable.up = ("127.0.0.1", locked.port)
        cable.plugged = True
        tab.wait(
            "/Not authorised \\(401\\)/.test(document.getElementById('err').textContent)", timeout=10_000
        )
        tab.wait("/Not authorised/.test(ov.textContent)", timeout=15_000)
        assert tab.js("!!document.querySelector('#err button')"), "no reload button"
        # ...and stops asking: each request would bring up the browser's login prompt again.
        asked = []
        tab.page.on("request", lambda r: asked.append(r.url))
        time.sleep(2.5)
        assert [u for u in asked if "/status" in u or "/stream" in u] == []
        tab.page.screenshot(path=str(ARTIFACTS / "camera_page_errors.png"))
        allowed = ("console: Failed to load resource",)
        assert [e for e in tab.errors if not e.startswith(allowed)] == []
    finally:
        cable.close()
    # With the right password the page works behind auth like without it.
    tab = tabs(locked.url, http_credentials={"username": "admin", "password": "secret"})
    tab.wait("cam.shown >= 3 && document.getElementById('c-framesize')")
    tab.page.select_option("#c-framesize", "6")
    tab.wait("live.naturalWidth === 320")
    assert status_with_password(locked, "framesize") == 6
    assert tab.errors == []


# --- A hostile page on another origin (another loopback port is another origin) --------------------------

ATTACK_PAGE = """<!doctype html><title>cute cats</title>
<iframe name=sink style="display:none"></iframe>
<form id=f method=POST action="CAM/wifi" target=sink>
<input name=ssid value=evil-net><input name=password value=evil-password></form>
<img id=size src="CAM/control?var=framesize&val=6">
<img id=quiet referrerpolicy=no-referrer src="CAM/control?var=quality&val=30">
<script>
window.report = {};
async function probe(name, url, options) {
  try {
    const r = await fetch(url, options);
    let body = "";
    try { body = await r.text(); } catch (e) { body = "unreadable: " + e; }
    report[name] = {type: r.type, status: r.status, body: body.slice(0, 300)};
  } catch (e) {
    report[name] = {error: String(e)};
  }
}
document.getElementById("f").submit();
Promise.all([
  probe("capture", "CAM/capture"),
  probe("status", "CAM/status"),
  probe("status_with_credentials", "CAM/status", {credentials: "include"}),
  probe("capture_no_cors", "CAM/capture", {mode: "no-cors", credentials: "include"}),
  probe("control_no_cors", "CAM/control?var=hmirror&val=1", {mode: "no-cors", credentials: "include"}),
  probe("wifi_no_cors", "CAM/wifi", {method: "POST", mode: "no-cors", credentials: "include",
    headers: {"Content-Type": "application/x-www-form-urlencoded"},
    body: "ssid=evil-net&password=evil-pass"}),
]).then(() => { window.done = true; });
</script>"""


class Attacker:
    """The attacker's web server: serves pages (path -> html) from its own loopback port."""

    def __init__(self, pages):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path.split("?")[0], "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _attack(cam, open_page):
    """Opens the attack page (open_page(url) -> a Playwright page), waits for its report, and checks
    that the requests reached the camera and were refused there (so this can fail), that nothing
    changed and that nothing was readable. Returns the page's report."""
    before = status_of(cam)
    attacker = Attacker({"/": ATTACK_PAGE.replace("CAM", cam.url)})
    mark = cam.mark()
    try:
        page = open_page(attacker.url + "/")
        page.wait_for_function("window.done === true", timeout=20_000, polling=100)
        page.wait_for_function("size.complete && quiet.complete", timeout=10_000, polling=100)
        report = page.evaluate("window.report")
    finally:
        attacker.close()
    end = time.monotonic() + 5
    wanted = ("POST /wifi -> 403", "GET /control -> 403")
    while not all(any(w in line for line in cam.lines_since(mark)) for w in wanted):
        assert time.monotonic() < end, "\n".join(cam.lines_since(mark))
        time.sleep(0.1)
    seen = cam.lines_since(mark)
    assert not [x for x in seen if ("/control -> 200" in x or "/wifi -> 200" in x)], seen
    after = status_of(cam)
    for key in ("framesize", "quality", "hmirror"):
        assert after[key] == before[key], (key, before[key], after[key])
    assert not os.path.exists(cam.settings_file), "the Wi-Fi form was saved"
    for name, got in report.items():
        # Nothing readable: a CORS fetch fails outright, a no-cors one is opaque (status 0, no body).
        assert "error" in got or (got["type"] == "opaque" and got["status"] == 0 and got["body"] == ""), (
            name,
            got,
        )
    for name in ("capture", "status", "status_with_credentials"):
        assert "error" in report[name], (name, report[name])
    return seen


def status_of(cam):
    req = urllib.request.Request(cam.url + "/status", headers=getattr(cam, "auth_header", {}))
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


def _camera(sim, tmp_path, **settings):
    """A camera logging every request (the tests read the verdicts) and saving Wi-Fi to tmp_path."""
    path = str(tmp_path / "settings.json")
    cam = sim(log_level="debug", settings=path, **settings)
    cam.settings_file = path
    return cam


@pytest.mark.timeout(90)
def test_hostile_page_cannot_drive_or_read_the_camera(sim, tabs, tmp_path):
    cam = _camera(sim, tmp_path)
    _attack(cam, lambda url: tabs(url).page)


@pytest.mark.timeout(90)
def test_hostile_page_cannot_use_the_victims_login(sim, tabs, tmp_path):
    cam = _camera(sim, tmp_path, auth_user="admin", auth_password="secret")
    cam.auth_header = {"Authorization": "Basic YWRtaW46c2VjcmV0"}
    # The victim is logged in to the camera in this browser and has its page open in another tab.
    victim = tabs(cam.url, http_credentials={"username": "admin", "password": "secret", "origin": cam.url})
    victim.wait("cam.shown >= 2")

    def open_in_victims_browser(url):
        page = victim.ctx.new_page()
        page.goto(url)
        return page

    seen = _attack(cam, open_in_victims_browser)
    # The login rode along: the refusals are the cross-site check's 403, and no request got past it.
    assert not [x for x in seen if "/wifi -> 401" in x], seen
    # The camera's own page, logged in, still changes settings.
    victim.page.select_option("#c-framesize", "6")
    victim.wait("live.naturalWidth === 320")
    assert status_of(cam)["framesize"] == 6
    assert victim.errors == []


@pytest.mark.timeout(90)
def test_dns_rebinding_page_reads_nothing(sim, tabs):
    """evil.test first resolves to the attacker's server, then to the camera (the Cable repointed):
    the page's same-origin fetches now reach the camera, which refuses them by their Host."""
    cam = sim(log_level="debug")
    attacker = Attacker({"/": "<!doctype html><title>evil</title><p>hello"})
    cable = Cable(attacker.port)
    origin = cable.url.replace("127.0.0.1", "evil.test")
    try:
        tab = tabs(origin)
        assert tab.page.title() == "evil"
        cable.unplug()  # DNS rebinds: the same name and port now lead to the camera
        cable.up = ("127.0.0.1", cam.port)
        cable.plugged = True
        got = tab.js(
            """async () => {
              const out = {};
              for (const path of ["/status", "/capture", "/control?var=framesize&val=6"]) {
                const r = await fetch(path, {cache: "no-store"});
                out[path] = [r.status, (await r.text()).slice(0, 200)];
              }
              return out;
            }"""
        )
    finally:
        cable.close()
        attacker.close()
    for path, (code, body) in got.items():
        assert code == 421 and "not a name of this camera" in body, (path, code, body)
    assert status_of(cam)["framesize"] != 6


@pytest.mark.timeout(90)
def test_firmware_update_through_the_page(sim, tabs, tmp_path):
    from ota_image import app_image, sha256

    cam = sim(device_dir=str(tmp_path / "device"))
    tab = tabs(cam.url)
    # The page's own SHA-256 (crypto.subtle exists only on https and localhost) is SHA-256.
    for size in (0, 55, 56, 64, 1000, 70001):
        data = os.urandom(size)
        assert tab.js("(a) => sha256hex(new Uint8Array(a))", list(data)) == sha256(data), size
    image = tmp_path / "micropython.bin"
    image.write_bytes(app_image(150 * 1024 + 5, version="page-2"))
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"not an image" * 1000)
    tab.page.locator("#dev summary").click()
    tab.page.on("dialog", lambda d: d.accept())
    # A file that is no app image: the camera's reason is shown, nothing switched.
    tab.page.set_input_files("#upd [name=image]", str(bad))
    tab.page.click("#upd button")
    tab.wait("/^Not updated: not an ESP-IDF app image/.test(document.getElementById('umsg').textContent)")
    # ... and it looks failed: the reason and the bar in the warning colour, not a full blue bar.
    looks = """() => ['umsg', 'uprog'].map((id) => {
        const st = getComputedStyle(document.getElementById(id));
        return id === 'umsg' ? st.color : st.accentColor;
    })"""
    bad = "rgb(255, 107, 107)"  # --bad
    assert tab.js(looks) == [bad, bad]
    # The image: uploaded with progress, verified, and the camera restarts into it.
    tab.page.set_input_files("#upd [name=image]", str(image))
    tab.page.click("#upd button")
    tab.wait("/^ok: 153605 bytes written to ota_1/.test(document.getElementById('umsg').textContent)")
    assert bad not in tab.js(looks)
    assert tab.js(
        "(() => { const p = document.getElementById('uprog'); return [p.hidden, p.value === p.max]; })()"
    ) == [
        False,
        True,
    ]
    assert cam.proc.wait(10) == 75
    cam.wait_for_line("ota: ota_1 written and verified, rebooting into it")
    restarted = sim(device_dir=str(tmp_path / "device"), port=cam.port)
    tab.wait("/ota_1 · page-2/.test(document.getElementById('info').textContent)", timeout=20_000)
    # The Device section says why the camera restarted.
    assert "Last resetota: updated to ota_1 (after " in tab.js("document.getElementById('info').textContent")
    assert json.loads(urllib.request.urlopen(restarted.url + "/status").read())["ota"]["running"] == "ota_1"
    allowed = ("console: Failed to load resource",)
    assert [e for e in tab.errors if not e.startswith(allowed)] == []


@pytest.mark.timeout(90)
def test_hostile_page_cannot_change_a_setting_of_a_camera_on_the_lan(sim, tabs, tmp_path):
    # Loopback is a trustworthy origin, so the attack tests above get Sec-Fetch-Site. A camera at a
    # LAN name gets no Sec-Fetch-* at all (camera.test: ARGS points it at loopback, but to Chromium it
    # is any http:// host), and a no-referrer <img> then carries neither Origin nor Referer.
    cam = _camera(sim, tmp_path, allowed_hosts="camera.test")
    url = "http://camera.test:%d" % cam.port
    before = status_of(cam)["brightness"]
    attacker = Attacker(
        {"/": '<img id=i referrerpolicy=no-referrer src="%s/control?var=brightness&val=2">' % url}
    )
    mark = cam.mark()
    try:
        page = tabs(attacker.url).page
        page.wait_for_function("i.complete", timeout=10_000, polling=100)
    finally:
        attacker.close()
    cam.wait_for_line("GET /control -> 403", since=mark)
    refused = [x for x in cam.lines_since(mark) if "/control -> " in x]
    assert refused and all("-> 403" in x for x in refused), refused
    assert status_of(cam)["brightness"] == before
    # The camera's own page at that name still changes settings: its requests say whose they are.
    tab = tabs(url)
    tab.wait("window.cam && cam.shown >= 1")
    tab.js(
        "() => { const i = document.getElementById('c-brightness'); i.value = 2;"
        " i.dispatchEvent(new Event('input')); i.dispatchEvent(new Event('change')); }"
    )
    wait_status(cam, "brightness", 2)
    assert tab.errors == []
    # A URL typed into the address bar looks the same as the hostile <img>: refused, with the reason.
    typed = tab.page.goto(url + "/control?var=brightness&val=0")
    assert typed.status == 403 and "use the camera's page" in typed.text()
    assert status_of(cam)["brightness"] == 2


@pytest.mark.timeout(90)
def test_motion_is_switched_on_and_shown_on_the_live_view(sim, tabs, tmp_path):
    # The motion test scene: a figure walks for 2 s of every 6 (the first after 6 s).
    cam = sim(settings=tmp_path / "settings.json", save_delay_ms=300, sim_motion="6:2")
    tab = tabs(cam.url)
    page = tab.page
    tab.wait("window.cam && cam.shown >= 2")
    page.click("summary:text('Motion')")
    assert not page.is_checked("#c-motion")  # off by default
    page.check("#c-motion")
    tab.wait("document.getElementById('saved').textContent === 'Saved'")
    assert json.loads((tmp_path / "settings.json").read_text())["motion"] == 1
    assert status(cam)["motion"]["enabled"] is True
    # The badge comes with the walk and goes after it (2 s of hold).
    tab.wait("!document.getElementById('mot').hidden", timeout=20_000)
    assert "Motion" in tab.js("document.getElementById('mot').textContent")
    tab.wait("document.getElementById('mot').hidden", timeout=20_000)
    assert status(cam)["motion"]["events"] >= 1
    assert tab.errors == []


@pytest.mark.timeout(90)
def test_motion_zones_are_typed_in_and_a_bad_one_is_refused_with_its_reason(sim, tabs, tmp_path):
    cam = sim(settings=tmp_path / "settings.json", save_delay_ms=300)
    tab = tabs(cam.url)
    page = tab.page
    tab.wait("window.cam && cam.shown >= 1")
    page.click("summary:text('Motion')")
    assert page.input_value("#c-motion_zones") == ""
    page.fill("#c-motion_zones", "0,50,100,50; 0,0,20,20")
    page.press("#c-motion_zones", "Enter")
    tab.wait("document.getElementById('saved').textContent === 'Saved'")
    assert json.loads((tmp_path / "settings.json").read_text())["motion_zones"] == "0,50,100,50; 0,0,20,20"
    assert status(cam)["motion_zones"] == "0,50,100,50; 0,0,20,20"
    page.fill("#c-motion_zones", "0,0,200,10")
    page.press("#c-motion_zones", "Enter")
    tab.wait("document.getElementById('err').textContent.includes('not inside 0..100 percent')")
    assert "Zones" in tab.js("document.getElementById('err').textContent")
    assert status(cam)["motion_zones"] == "0,50,100,50; 0,0,20,20"  # refused: nothing changed
    page.click("#c-brightness")  # (the field loses focus: the next poll shows the zones in force)
    tab.wait("document.getElementById('c-motion_zones').value === '0,50,100,50; 0,0,20,20'")
    # The browser logs the refused request itself; nothing else went wrong.
    refused = "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert tab.errors == [refused]


@pytest.mark.timeout(90)
def test_camera_health_and_the_reason_a_live_view_stalls_or_is_refused(sim, tabs, tmp_path):
    # A sensor that wedges after 1 s and never restarts (the device would reset after 99 tries):
    # the page says the camera is recovering, in the overlay and in the Device section.
    cam = sim(camera_faults="wedge:1,init_fail:999", camera_stall_ms=1000, camera_reinit_tries=99)
    tab = tabs(cam.url)
    tab.wait("/^Camera recovering \\(restart failed/.test(ov.textContent) && !ov.hidden", timeout=20_000)
    tab.page.locator("#dev summary").click()
    tab.wait("/Camera health/.test(document.getElementById('info').textContent)")
    assert "recovering" in tab.js("document.getElementById('info').textContent")
    # A stream the camera refuses (safe mode) shows the server's one-line reason, not "HTTP 503".
    # Three failed boots in the boot record (NVS; the sim's is DEVICE/nvs.json, esp32_host.py).
    record = json.dumps({"fails": 3, "stage": "camera", "trial": ""}).encode().hex()
    (tmp_path / "nvs.json").write_text(json.dumps({"camserver": {"boot": record}}))
    safe = sim(device_dir=str(tmp_path))
    tab2 = tabs(safe.url)
    tab2.wait("/Live view lost \\(safe mode: camera off/.test(ov.textContent)", timeout=20_000)
    assert [e for e in tab.errors + tab2.errors if not e.startswith("console: Failed to load resource")] == []
