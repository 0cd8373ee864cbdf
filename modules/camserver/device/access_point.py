"""The device's access point: its name, its password rule, starting and stopping it.

The rule: WPA2 with ap_password; open only on a board that has never had a network saved (that
is how it gets set up); once one is saved and no valid ap_password is set, it stays off. An open
access point after a lost link would let anyone in range give the camera a network of theirs.
"""

from camserver import log
from camserver.device import creds
from camserver.transport.address import url


def password_for(config):
    """The configured ap_password when valid, else "" (with a console line)."""
    try:
        return creds.check_ap_password(config["ap_password"])
    except ValueError as e:
        log.warning("wifi: %s, not used", e)
        return ""


class AccessPoint:
    """The AP interface of MicroPython's `network` module (see device/wifi.py) with the rule above.
    `up` says whether it runs; `refused` that it was asked to and had to stay off."""

    def __init__(self, net, config, hostname):
        self.net = net
        self.config = config
        self.hostname = hostname
        self.iface = net.WLAN(net.AP_IF)
        self.password = password_for(config)
        self.up = False
        self.refused = False

    def essid(self):
        """Hostname plus the last two MAC bytes, unique per board."""
        mac = self.iface.config("mac")
        return "%s-%02x%02x" % (self.hostname, mac[-2], mac[-1])

    def address(self):
        return self.iface.ifconfig()[0]

    def start(self):
        """Start it; False when it must stay off (said once on the console)."""
        net = self.net
        password = self.password
        if not password and self.config["wifi_ssid"]:
            if not self.refused:
                self.refused = True
                log.warning(
                    "wifi: no access point without ap_password once a network is saved; "
                    "set one with make configure AP_PASSWORD=..."
                )
            return False
        essid = self.essid()
        self.iface.active(True)
        if password:
            self.iface.config(essid=essid, password=password, authmode=net.AUTH_WPA2_PSK)
        else:
            self.iface.config(essid=essid, authmode=net.AUTH_OPEN)
        self.up = True
        log.warning(
            "wifi: access point %s (%s) is up: join it and open %s to set up Wi-Fi",
            essid,
            "WPA2" if password else "open",
            url(self.address(), self.config["port"]),
        )
        return True

    def stop(self):
        self.iface.active(False)
        self.up = False
        log.info("wifi: access point stopped")

    def in_use(self):
        """True while a client is associated (a station join would move the radio off its channel)."""
        try:
            return len(self.iface.status("stations")) > 0
        except (OSError, TypeError, ValueError):
            return False
