"""Which Host names this camera (the DNS-rebinding check).

A hostile page can make its own name (evil.example) resolve to the camera's
address; the browser then treats the camera as part of evil.example and lets
the page read it. The one thing such a request cannot hide is its Host header.
So a request is served only when Host is an IP literal (v4, or v6 in brackets;
any port), `localhost`, the configured `hostname` or `hostname.local`, or a
name in `allowed_hosts` (comma-separated: names a reverse proxy forwards).
Anything else gets 421. HTTP/1.0 without Host passes (browsers always send one).
"""

from camserver.http.response import text

_SEEN_MAX = 16  # accepted Host values remembered, so the usual request costs one dict lookup


def _is_ipv4(name):
    parts = name.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part.isdigit() or len(part) > 3 or int(part) > 255:
            return False
    return True


def _is_ipv6(name):
    if ":" not in name or len(name) > 45:
        return False
    for c in name:
        if not (c.isdigit() or c in "abcdef:."):
            return False
    return True


def host_name(authority):
    """The lower-case host of "name[:port]", "a.b.c.d[:port]" or "[v6][:port]" (the brackets
    kept, so an IPv6 address cannot pass for a name), or None when it is malformed."""
    authority = authority.lower()
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0 or not _is_ipv6(authority[1:close]):
            return None
        port = authority[close + 1 :]
        if port and (port[0] != ":" or not (port[1:].isdigit() or port == ":")):
            return None
        return authority[: close + 1]
    name, colon, port = authority.partition(":")
    if colon and port and not port.isdigit():
        return None
    if name.endswith("."):  # the fully qualified form names the same host
        name = name[:-1]
    return name or None


def is_ip_literal(name):
    return name.startswith("[") or _is_ipv4(name)


class Hosts:
    """The names this camera answers to, and the hook that checks Host against them."""

    def __init__(self, config):
        names = ["localhost"]
        hostname = config["hostname"].lower()
        if hostname:
            names.append(hostname)
            names.append(hostname + ".local")
        proxies = []
        for item in config["allowed_hosts"].split(","):
            name = host_name(item.strip())
            if name:
                proxies.append(name)
        self.names = tuple(names + proxies)
        self.proxies = tuple(proxies)  # names whose pages count as this camera's own origin
        self._seen = {}

    def accepts(self, host):
        """True when the Host value host names this camera."""
        name = host_name(host)
        if name is None:
            return False
        return is_ip_literal(name) or name in self.names

    def check(self, request):
        """The before-hook: None to go on, or the 421 for a Host that is not this camera."""
        host = request.headers.get("host")
        if host is None or host in self._seen:
            return None
        if self.accepts(host):
            if len(self._seen) < _SEEN_MAX:
                self._seen[host] = True
            return None
        return text(
            421, "Host %s is not a name of this camera (a proxy's name goes in allowed_hosts)" % host[:64]
        )
