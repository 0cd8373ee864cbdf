"""The sim's `network` double (host only: not frozen, see firmware/manifest.py): a simulated Wi-Fi
world for the device start code, run on the MicroPython unix port (`make sim`, the Wi-Fi checks).

It offers the part of MicroPython's esp32 `network` module that camserver.device.wifi uses, and
behaves like the esp32 port (ports/esp32/network_wlan.c at v1.28.0) where the code depends on it:
- connect() starts an association that takes join_ms; then the station has an address, or the
  status is STAT_WRONG_PASSWORD / STAT_NO_AP_FOUND;
- after a failed association or a lost link the driver associates again by itself while a
  connection is requested (auto_reconnect=True); status() then reports the last failure reason,
  or STAT_CONNECTING after a beacon timeout;
- disconnect() clears the request (status STAT_IDLE).
The scenario changes the world with lose(ssid) / restore(ssid, password) and ap.clients, and
reads what the code did from `events` (SIM_ONLY: the names that are the world's, not the
`network` module's; tests/firmware/test_doubles.py holds the rest to the pinned esp32 stubs).
"""

import time

STA_IF = 0
AP_IF = 1
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_BEACON_TIMEOUT = 200
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3
_ASSOC_LEAVE = 8

SIM_ONLY = ("lose", "restore", "event")  # (and the world's attributes, set in __init__)


class _Iface:
    """What the station and the access point share: the world they report to and active()."""

    def __init__(self, world, kind):
        self.world = world
        self.kind = kind
        self.on = False

    def active(self, on=None):
        if on is None:
            return self.on
        self.on = bool(on)
        self.world.event("%s active %s" % (self.kind, self.on))


class _Sta(_Iface):
    def __init__(self, world):
        super().__init__(world, "sta")
        self.target = None
        self.requested = False
        self.connected = False
        self.reason = 0
        self.started = 0

    def _update(self):
        world = self.world
        if not self.requested or self.connected:
            return
        if time.ticks_diff(time.ticks_ms(), self.started) < world.join_ms:
            return
        ssid, key = self.target
        if ssid not in world.networks:
            self.reason = STAT_NO_AP_FOUND
        elif world.networks[ssid] != key:
            self.reason = STAT_WRONG_PASSWORD
        else:
            self.connected = True
            self.reason = 0
            world.event("sta got ip")
            return
        if world.auto_reconnect:
            self.started = time.ticks_ms()
        else:
            self.requested = False

    def _lose(self):
        self.connected = False
        self.reason = STAT_BEACON_TIMEOUT
        if self.world.auto_reconnect:
            self.started = time.ticks_ms()
        else:
            self.requested = False

    def connect(self, ssid=None, key=None, *, bssid=None):
        if not self.on:
            raise OSError("STA must be active")
        self.world.event("sta connect %s" % ssid)
        self.world.connects += 1
        self.target = (ssid, key or "")
        self.requested = True
        self.connected = False
        self.started = time.ticks_ms()

    def disconnect(self):
        self.world.event("sta disconnect")
        self.requested = False
        self.connected = False
        self.reason = _ASSOC_LEAVE

    def isconnected(self):
        self._update()
        return self.connected

    def status(self, what=None):
        self._update()
        if self.connected:
            return STAT_GOT_IP
        if self.reason in (STAT_NO_AP_FOUND, STAT_WRONG_PASSWORD):
            return self.reason
        if self.reason == _ASSOC_LEAVE:
            return STAT_IDLE
        if self.requested:
            return STAT_CONNECTING
        return self.reason or STAT_IDLE

    def ifconfig(self, conf=None):
        if self.connected:
            return (self.world.sta_ip, "255.255.255.0", "192.168.1.1", "192.168.1.1")
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def config(self, *args, **kwargs):
        if args == ("mac",):
            return b"\x7c\xdf\xa1\x0a\x1b\x2b"
        raise ValueError("unknown config param")


class _Ap(_Iface):
    def __init__(self, world):
        super().__init__(world, "ap")
        self.essid = None
        self.authmode = None
        self.password = None
        self.clients = []

    def config(self, *args, **kwargs):
        if args == ("mac",):
            return b"\x7c\xdf\xa1\x0a\x1b\x2c"
        if args:
            raise ValueError("unknown config param")
        if "essid" in kwargs:
            self.essid = kwargs["essid"]
        if "authmode" in kwargs:
            self.authmode = kwargs["authmode"]
        if "password" in kwargs:
            self.password = kwargs["password"]
        self.world.event("ap config %s %s" % (self.essid, self.authmode))

    def ifconfig(self, conf=None):
        ip = self.world.ap_ip
        return (ip, "255.255.255.0", ip, ip)

    def status(self, what=None):
        if what == "stations":
            return list(self.clients)
        raise ValueError("AP has no plain status")


class SimNet:
    """The network module stand-in: networks in range (ssid -> password), join time, driver."""

    STA_IF = STA_IF
    AP_IF = AP_IF
    STAT_IDLE = STAT_IDLE
    STAT_CONNECTING = STAT_CONNECTING
    STAT_GOT_IP = STAT_GOT_IP
    STAT_NO_AP_FOUND = STAT_NO_AP_FOUND
    STAT_WRONG_PASSWORD = STAT_WRONG_PASSWORD
    STAT_BEACON_TIMEOUT = STAT_BEACON_TIMEOUT
    AUTH_OPEN = AUTH_OPEN
    AUTH_WPA2_PSK = AUTH_WPA2_PSK

    def __init__(
        self, networks=None, join_ms=100, auto_reconnect=True, sta_ip="192.168.1.50", ap_ip="192.168.4.1"
    ):
        self.networks = dict(networks or {})
        self.join_ms = join_ms
        self.auto_reconnect = auto_reconnect
        self.sta_ip = sta_ip
        self.ap_ip = ap_ip
        self.t0 = time.ticks_ms()
        self.events = []
        self.connects = 0
        self.name = "mpy-esp32s3"
        self.sta = _Sta(self)
        self.ap = _Ap(self)

    def event(self, what):
        self.events.append((time.ticks_diff(time.ticks_ms(), self.t0), what))

    def WLAN(self, interface_id=STA_IF):
        return self.sta if interface_id == STA_IF else self.ap

    def hostname(self, name=None):
        if name is None:
            return self.name
        if len(name) > 32:
            raise ValueError("hostname too long")
        self.name = name
        self.event("hostname %s" % name)

    def lose(self, ssid):
        """The network goes out of range; a station on it loses the link."""
        self.networks.pop(ssid, None)
        self.event("world lose %s" % ssid)
        if self.sta.connected and self.sta.target[0] == ssid:
            self.sta._lose()

    def restore(self, ssid, password):
        self.networks[ssid] = password
        self.event("world restore %s" % ssid)
