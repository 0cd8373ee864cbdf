"""Checks for what a user types into the Wi-Fi settings: network name, password, hostname.

Shared by the device (the page's settings form, the boot-time hostname) and by the host tool
firmware/configure.py (`make configure`), so both accept and reject the same values. Plain code,
no MicroPython-only imports: CPython imports this file too.
"""

# 802.11 limits an SSID to 32 bytes; a WPA2 passphrase is 8..63 printable ASCII characters, or
# the raw 256-bit key as 64 hex digits. MicroPython's esp32 port limits the hostname to 32 bytes.
SSID_MAX = 32
HOSTNAME_MAX = 32
_HEX = "0123456789abcdefABCDEF"


def _printable_ascii(text):
    for ch in text:
        if not (" " <= ch <= "~"):
            return False
    return True


def check_wifi(ssid, password):
    """Return (ssid, password) when they can be used to join a network; ValueError with a
    one-line reason otherwise. An empty password means an open network."""
    if not isinstance(ssid, str) or not isinstance(password, str):
        raise ValueError("network name and password must be text")
    size = len(ssid.encode())
    if size == 0:
        raise ValueError("network name is empty")
    if size > SSID_MAX:
        raise ValueError("network name is longer than 32 bytes")
    for ch in ssid:
        if ch < " " or ch == "\x7f":
            raise ValueError("network name contains a control character")
    if password:
        if len(password) == 64:
            for ch in password:
                if ch not in _HEX:
                    raise ValueError("a 64-character password must be the hex key (0-9, a-f)")
        elif not 8 <= len(password) <= 63:
            raise ValueError("password must be 8 to 63 characters (or empty for an open network)")
        elif not _printable_ascii(password):
            raise ValueError("password must be printable ASCII characters")
    return ssid, password


def check_hostname(name):
    """Return name when it is a valid DNS label for mDNS (name.local); ValueError otherwise."""
    if not isinstance(name, str) or not name:
        raise ValueError("hostname is empty")
    if len(name) > HOSTNAME_MAX:
        raise ValueError("hostname is longer than 32 characters")
    for ch in name:
        if not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9" or ch == "-"):
            raise ValueError("hostname may only contain letters, digits and '-'")
    if name[0] == "-" or name[-1] == "-":
        raise ValueError("hostname must not start or end with '-'")
    return name


def check_ap_password(password):
    """Return password for the setup access point: empty (open) or 8..63 printable ASCII."""
    if password and (not 8 <= len(password) <= 63 or not _printable_ascii(password)):
        raise ValueError("access point password must be 8 to 63 printable characters (or empty)")
    return password
