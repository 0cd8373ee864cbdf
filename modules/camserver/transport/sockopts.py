"""Options applied to every accepted socket.

TCP_NODELAY: without it Nagle holds the small response head until the peer's
delayed ACK (~40 ms), capping keep-alive clients at ~25 responses/s. The unix
port lacks the IPPROTO_TCP/TCP_NODELAY names; the values (6, 1) are the same on
esp32 and Linux.

SO_SNDBUF (setting send_buffer, 0 = leave it): for the host only, where Linux
grows a socket's send buffer to megabytes, so a client that stops reading is
noticed only seconds later. The board's lwIP has a fixed 32 KB per socket
(CONFIG_LWIP_TCP_SND_BUF_DEFAULT in firmware/sdkconfig.streaming); tests set
send_buffer=32768 to behave like it. 7 is Linux's value (the unix port lacks the name).
"""

import socket

IPPROTO_TCP = getattr(socket, "IPPROTO_TCP", 6)
TCP_NODELAY = getattr(socket, "TCP_NODELAY", 1)
SO_SNDBUF = getattr(socket, "SO_SNDBUF", 7)


def apply(sock, config):
    """Set the per-connection options from config on a freshly accepted socket."""
    sock.setblocking(False)
    if config["nodelay"]:
        sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)
    if config["send_buffer"]:
        sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, config["send_buffer"])
