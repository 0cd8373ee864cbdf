"""Two connected non-blocking sockets, for checks that need a real socket inside MicroPython.

AF_UNIX in the scratch folder: the unix port's sockets have no getsockname(), so a TCP socket
bound to port 0 could not be connected to."""

import os
import socket
import struct

import check


def pair(name):
    """(a, b): connected, non-blocking; name is the socket file's, in the scratch folder
    (removed again once they are connected)."""
    path = check.tmp(name)
    if name in os.listdir(check.tmp("")):
        os.remove(path)
    addr = struct.pack("H", socket.AF_UNIX) + path.encode() + b"\0"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(addr)
    server.listen(1)
    a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    a.connect(addr)
    b, _ = server.accept()
    server.close()
    os.remove(path)
    a.setblocking(False)
    b.setblocking(False)
    return a, b
