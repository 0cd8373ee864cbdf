"""Addresses as text: peers for logs and /status, the server's own as the URL a browser uses."""

import socket


def peer_text(addr):
    """ "ip:port" for a peer address (a tuple on esp32, a sockaddr blob on unix)."""
    if isinstance(addr, tuple):
        return "%s:%d" % (addr[0], addr[1])
    try:
        # The unix port only (the stubs are the esp32 port's): (family, ip bytes/str, port, ...).
        info = socket.sockaddr(addr)  # pyright: ignore[reportAttributeAccessIssue]
        ip = info[1]
        if not isinstance(ip, str):
            ip = ".".join([str(b) for b in ip])
        return "%s:%d" % (ip, info[2])
    except Exception:
        return "?"


def peer_host(addr):
    """The client's address without the port (what a per-client limit counts), or None."""
    if isinstance(addr, tuple):
        return addr[0]
    try:
        return socket.sockaddr(addr)[1]  # pyright: ignore[reportAttributeAccessIssue] (unix port only)
    except Exception:
        return None


def url(address, port):
    """The address a browser uses: http://address/ (with :port when not 80)."""
    if port == 80:
        return "http://%s/" % address
    return "http://%s:%d/" % (address, port)
