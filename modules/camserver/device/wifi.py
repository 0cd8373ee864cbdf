"""Wi-Fi for the device: join the configured network with retries, reconnect after a loss, and
fall back to a setup access point.

Written against a small interface, the part of MicroPython's `network` module it uses, so the
same code runs on the board (net = the esp32 `network` module) and on the unix port against the
simulated network of the tests (tests/mpy/simnet.py):

    net.WLAN(net.STA_IF), net.WLAN(net.AP_IF) -> an interface with
        active(on), connect(ssid, key), disconnect(), status(), status("stations"),
        isconnected(), ifconfig(), config("mac"), config(essid=..., password=..., authmode=...)
    net.hostname(name)
    net.STAT_IDLE, STAT_CONNECTING, STAT_GOT_IP, STAT_WRONG_PASSWORD, STAT_NO_AP_FOUND,
    net.AUTH_OPEN, AUTH_WPA2_PSK

What happens:
- boot, credentials set: up to `attempts` joins within wifi_timeout_ms. A network that rejects
  the password twice in a row is not tried further. Joined -> station mode.
- boot, no credentials or no join: access point "<hostname>-<mac suffix>" at 192.168.4.1 so the
  page's settings form can save credentials; open only on a board that has never had a network
  saved, else WPA2 with ap_password or none at all (camserver.device.access_point).
- station mode, link lost: the esp32 driver re-associates by itself; if it has given up, this
  code calls connect() again with a growing pause. Lost for longer than lost_ap_ms: the access
  point (never open then, see above) comes up as well, and goes again once the station is back.
- not joined at boot, credentials set: every retry_ms the station is tried again, unless someone
  is using the access point; joined -> the access point goes.
- new credentials saved from the page (wifi_pending_ssid/_password, camserver.device.save_wifi),
  at the next watch round or at boot: joined -> they become wifi_ssid/_password and the old pair
  is dropped; not joined -> they are dropped and the saved network is joined again. The settings
  file holds both pairs until then, so a reset in between still finds a network that worked.
"""

import asyncio
import time

from camserver import log
from camserver.device import creds
from camserver.device.access_point import AccessPoint
from camserver.transport.address import url

# The watcher's states (Wifi.state); watch() runs one step of the current one every watch_ms.
JOINED = "joined"  # the station has an address: watch the link
LOST = "lost"  # the station had an address and lost it: reconnect, access point after lost_ap_ms
SETUP = "setup"  # no station (none configured, or not joined): access point, station retried now and then
TRYING = "trying"  # new credentials: joined once they become the saved ones, else the saved ones come back

_REASONS = {}


def _reason(net, status):
    """A few words for a station status code."""
    if not _REASONS:
        _REASONS[net.STAT_WRONG_PASSWORD] = "wrong password"
        _REASONS[net.STAT_NO_AP_FOUND] = "network not found"
        _REASONS[net.STAT_CONNECTING] = "no answer"
        _REASONS[net.STAT_IDLE] = "no answer"
    return _REASONS.get(status, "status %s" % status)


def hostname_for(config):
    """The configured hostname when valid, else "camserver" (with a console line)."""
    try:
        return creds.check_hostname(config["hostname"])
    except ValueError as e:
        log.warning("wifi: %s, using camserver", e)
        return "camserver"


class Wifi:
    """Station with retries and reconnect, access point as fallback (see the module docstring).

    `mode` is "sta" or "ap" once up() returned; `address` the IP the server is reachable at.
    `store` is the settings file's settings.Store new credentials are saved through once they
    work (None: not written)."""

    def __init__(
        self,
        net,
        config,
        store=None,
        poll_ms=250,
        attempts=3,
        watch_ms=1000,
        retry_ms=120000,
        lost_ap_ms=60000,
        backoff_max_ms=30000,
    ):
        self.net = net
        self.config = config
        self.store = store
        self.poll_ms = poll_ms
        self.attempts = attempts
        self.watch_ms = watch_ms
        self.retry_ms = retry_ms
        self.lost_ap_ms = lost_ap_ms
        self.backoff_max_ms = backoff_max_ms
        self.sta = net.WLAN(net.STA_IF)
        self.hostname = hostname_for(config)
        self.access_point = AccessPoint(net, config, self.hostname)
        self.mode = None
        self.address = None
        # The watcher's state (see the names above) and its clocks.
        self.state = SETUP
        self._lost_at = 0
        self._backoff = 1000
        self._next_connect = 0
        self._next_retry = 0
        self.on_lost = None  # called when the station loses its link (the server drops its clients)

    # -- boot --

    async def up(self):
        """Bring the network up: station if possible, else the access point. Returns the address."""
        try:
            # Before the interface starts: DHCP and the port's mDNS responder take the name from here.
            self.net.hostname(self.hostname)
        except (OSError, ValueError) as e:
            log.warning("wifi: cannot set hostname %s: %s", self.hostname, e)
        if self.config["wifi_pending_ssid"]:
            # Saved from the page just before a reset: tried first, the saved network after it.
            await self._try_new()
            return self.address
        ssid = self.config["wifi_ssid"]
        if not ssid:
            log.info("wifi: no network configured")
            self._setup_mode()
            return self.address
        self.sta.active(True)
        if await self.join(ssid, self.config["wifi_password"], self.config["wifi_timeout_ms"]):
            self._station_up()
        else:
            self._setup_mode()
        return self.address

    async def join(self, ssid, password, timeout_ms):
        """Try to join ssid; True once connected with an address. At most `attempts` tries within
        timeout_ms; a password rejected twice in a row ends it early."""
        net = self.net
        per_try = max(timeout_ms // self.attempts, self.poll_ms)
        rejected = 0
        for attempt in range(1, self.attempts + 1):
            log.info("wifi: joining %s (attempt %d of %d)", ssid, attempt, self.attempts)
            try:
                self.sta.connect(ssid, password)
            except OSError as e:
                log.warning("wifi: connect failed: %s", e)
            status = await self._wait(per_try)
            if status == net.STAT_GOT_IP:
                return True
            log.warning("wifi: %s: %s", ssid, _reason(net, status))
            if status == net.STAT_WRONG_PASSWORD:
                rejected += 1
                if rejected >= 2:
                    log.error("wifi: %s rejects the password; save the right one (make configure)", ssid)
                    break
            else:
                rejected = 0
            self._disconnect()
            # Let the driver report the disconnect before the next try reads the status again.
            await asyncio.sleep_ms(2 * self.poll_ms)
        return False

    async def _wait(self, timeout_ms):
        """Poll the station until it has an address, the password is rejected, or timeout_ms."""
        net = self.net
        start = time.ticks_ms()
        status = net.STAT_CONNECTING
        while time.ticks_diff(time.ticks_ms(), start) < timeout_ms:
            if self.sta.isconnected():
                return net.STAT_GOT_IP
            status = self.sta.status()
            if status == net.STAT_WRONG_PASSWORD:
                return status
            await asyncio.sleep_ms(self.poll_ms)
        return net.STAT_GOT_IP if self.sta.isconnected() else status

    def _disconnect(self):
        try:
            self.sta.disconnect()
        except OSError:
            pass

    def _station_up(self):
        """The station has an address: it is what the server is reached at; the access point goes."""
        self.address = self.sta.ifconfig()[0]
        self.mode = "sta"
        self.state = JOINED
        self._lost_at = 0
        self._backoff = 1000
        port = self.config["port"]
        log.info(
            "wifi: connected to %s as %s (%s, %s)",
            self.config["wifi_ssid"],
            self.address,
            url(self.address, port),
            url(self.hostname + ".local", port),
        )
        if self.ap_up:
            self.access_point.stop()

    @property
    def ap_up(self):
        return self.access_point.up

    def start_ap(self):
        """The access point as the way in (when it may run); mode becomes "ap" unless the station
        is still the main interface. False when it stays off."""
        if not self.access_point.start():
            return False
        if self.mode != "sta":
            self.mode = "ap"
            self.address = self.access_point.address()
        return True

    def access_mode(self):
        """ "ap" while the access point is up and the station has no link: only someone who has
        joined the access point can be talking to the camera then. "sta" otherwise."""
        if self.ap_up and not self.sta.isconnected():
            return "ap"
        return "sta"

    def _setup_mode(self):
        """No station: the access point is the way in; the saved network is tried every retry_ms."""
        self.state = SETUP
        self.mode = None
        if self.ap_up:
            self.mode = "ap"
            self.address = self.access_point.address()
        else:
            self.start_ap()
        self._next_retry = time.ticks_add(time.ticks_ms(), self.retry_ms)

    # -- after boot --

    async def watch(self, rounds=None):
        """Background task: keeps the network usable for as long as the device runs (rounds
        bounds the loop for tests). One step of the current state every watch_ms."""
        self._next_retry = time.ticks_add(time.ticks_ms(), self.retry_ms)
        n = 0
        while rounds is None or n < rounds:
            n += 1
            await asyncio.sleep_ms(self.watch_ms)
            now = time.ticks_ms()
            if self.config["wifi_pending_ssid"]:
                await self._try_new()
            elif self.state == JOINED:
                self._joined_step(now)
            elif self.state == LOST:
                self._lost_step(now)
            else:
                # SETUP, or TRYING when a driver error ended the try (keep_watching restarted us).
                await self._setup_step(now)

    def _joined_step(self, now):
        if not self.sta.isconnected():
            self.state = LOST
            self._lost_at = now
            self._next_connect = time.ticks_add(now, self._backoff)
            log.warning("wifi: connection to %s lost, reconnecting", self.config["wifi_ssid"])
            if self.on_lost is not None:
                self.on_lost()

    def _lost_step(self, now):
        ssid = self.config["wifi_ssid"]
        if self.sta.isconnected():
            log.info("wifi: link back after %d ms", time.ticks_diff(now, self._lost_at))
            self._station_up()
            return
        # The esp32 driver re-associates by itself while its status says CONNECTING; once it has
        # given up (any other status) we ask again, less and less often.
        if self.sta.status() != self.net.STAT_CONNECTING and time.ticks_diff(now, self._next_connect) >= 0:
            log.info("wifi: reconnecting to %s", ssid)
            try:
                self.sta.connect(ssid, self.config["wifi_password"])
            except OSError as e:
                log.warning("wifi: connect failed: %s", e)
            self._backoff = min(self._backoff * 2, self.backoff_max_ms)
            self._next_connect = time.ticks_add(now, self._backoff)
        if (
            not self.ap_up
            and not self.access_point.refused
            and time.ticks_diff(now, self._lost_at) >= self.lost_ap_ms
        ):
            log.warning("wifi: %s unreachable for %d ms", ssid, time.ticks_diff(now, self._lost_at))
            self.start_ap()

    async def _setup_step(self, now):
        """Access-point mode: try the saved network every retry_ms while nobody is on the access
        point (a join moves the radio to the network's channel, which drops its clients)."""
        ssid = self.config["wifi_ssid"]
        if self.mode is None and not self.ap_up:
            self.start_ap()  # up() raised before any interface was on
        if not ssid or time.ticks_diff(now, self._next_retry) < 0 or self.access_point.in_use():
            return
        self.sta.active(True)
        if await self.join(ssid, self.config["wifi_password"], self.config["wifi_timeout_ms"]):
            self._station_up()
        else:
            self._setup_mode()

    async def _try_new(self):
        """Join the credentials saved from the page. They replace the saved pair only once they
        have worked; otherwise they are dropped and the saved network is joined again, so a typo
        never takes a working camera off its network."""
        config = self.config
        ssid, password = config["wifi_pending_ssid"], config["wifi_pending_password"]
        old = config["wifi_ssid"]
        had_station = self.state in (JOINED, LOST)
        self.state = TRYING
        if old:
            log.info("wifi: trying %s; %s stays saved until it works", ssid, old)
        if self.sta.isconnected():
            self._disconnect()
            await asyncio.sleep_ms(2 * self.poll_ms)
        self.sta.active(True)
        joined = await self.join(ssid, password, config["wifi_timeout_ms"])
        # Saved again while this try ran: the newer pair is tried next round, not dropped here.
        current = config["wifi_pending_ssid"] == ssid and config["wifi_pending_password"] == password
        if joined:
            config["wifi_ssid"] = ssid
            config["wifi_password"] = password
            if current:
                config["wifi_pending_ssid"] = config["wifi_pending_password"] = ""
            self._save()
            log.info("wifi: %s works and is now the saved network", ssid)
            self._station_up()
            return
        if current:
            config["wifi_pending_ssid"] = config["wifi_pending_password"] = ""
            self._save()
        if not old:
            log.warning("wifi: %s did not connect; the new credentials are dropped", ssid)
            self._setup_mode()
            return
        log.warning("wifi: %s did not connect; back to %s", ssid, old)
        if await self.join(old, config["wifi_password"], config["wifi_timeout_ms"]):
            self._station_up()
        elif had_station:
            # The old network went away meanwhile: reconnect to it as after any lost link.
            self.state = LOST
            self._lost_at = self._next_connect = time.ticks_ms()
        else:
            self._setup_mode()

    def _save(self):
        """Write the credentials' new state to the settings file; a failure costs only the reboot
        case (the file still holds a pair that worked), so it is logged and the device goes on."""
        if self.store is None:
            return
        try:
            self.store.save(self.config)
        except OSError as e:
            log.error("wifi: could not save the settings to %s: %s", self.store.path, e)
