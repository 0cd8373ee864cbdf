"""Instructions per VGA frame per viewer for camera_glue.RtpJpeg, counted by callgrind.

    PYTHONPATH=tests .venv/bin/python bench/rtp_cost.py [BINARY]    (default build/unix/micropython)

A measurement, not a test (no pass/fail): `make cost` carries the RTSP server's official
row. MicroPython sends N rendered VGA frames (build/frames/10_10, the camera's size and
quality) through one RtpJpeg, max_payload 1400, the way the RTSP session does:
* UDP: to a bound socket on loopback that never reads (a send never blocks; the kernel
  drops what does not fit). The whole process is counted for N = 0 and N = 200 frames and
  subtracted, so start-up cancels out: start() + send() + the loop around them.
* TCP interleaved: to a loopback connection the same process drains after each frame;
  what the packetizer itself costs is the inclusive cost of the binding's start and send
  (rtp_start, rtp_send) in the callgrind dump, the reader left out.
Prints instructions per frame and "≈ ms on a 240 MHz core" (instructions / 240e6, the
estimate bench/cost.py uses).
"""

import os
import subprocess
import sys

from callgrind import OUT, Dump
from simserver import ROOT, sim_env

FRAMES = 200
CORE_HZ = 240e6

_SENDER = """
import socket, sys
from camera_glue import RtpJpeg
mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
frames = []
for i in range(8):
    with open("build/frames/10_10/%d.jpg" % i, "rb") as f:
        data = f.read()
    # Once per file, not per frame: the scan starts after the SOS segment; the tables are
    # the DQT payloads (start-up work, which the N = 0 run cancels).
    sos = data.find(b"\\xff\\xda")
    scan = sos + 2 + (data[sos + 2] << 8 | data[sos + 3])
    qt = bytearray()
    pos = data.find(b"\\xff\\xdb")
    while 0 <= pos < sos:
        seg = data[pos + 4 : pos + 2 + (data[pos + 2] << 8 | data[pos + 3])]
        for k in range(0, len(seg), 65):
            qt += seg[k + 1 : k + 65]
        pos = data.find(b"\\xff\\xdb", pos + 2)
    frames.append((data, scan, len(data) - 2, bytes(qt[:128])))
p = RtpJpeg(1400)
addr = socket.getaddrinfo("127.0.0.1", port)[0][-1]
if mode == "udp":
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(addr)  # never read: the kernel drops what does not fit
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    channel = -1
else:
    ls = socket.socket()
    ls.bind(addr)
    ls.listen(1)
    s = socket.socket()
    channel = 0
s.connect(addr)
if mode != "udp":
    peer, _ = ls.accept()
    peer.setblocking(False)
s.setblocking(False)
sink = bytearray(65536)
ts = 0
for i in range(n):
    data, scan, end, qt = frames[i & 7]
    p.start(data, scan, end, 1, 640, 480, 0, qt, ts)
    while not p.send(s, channel):
        if mode != "udp":
            peer.readinto(sink)
    if mode != "udp":
        while peer.readinto(sink):
            pass
    ts = (ts + 3600) & 0xFFFFFFFF
print(p.sent_packets, p.sent_bytes)
"""


def run(binary, mode, n, port):
    os.makedirs(OUT, exist_ok=True)
    script = os.path.join(OUT, "rtp_sender.py")
    with open(script, "w") as f:
        f.write(_SENDER)
    out = os.path.join(OUT, "rtp_%s_%d.out" % (mode, n))
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=" + out,
            binary,
            script,
            mode,
            str(port),
            str(n),
        ],
        cwd=ROOT,
        env=sim_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit("%s %s failed:\n%s%s" % (binary, mode, done.stdout, done.stderr))
    packets, octets = (int(x) for x in done.stdout.split())
    return Dump(out), packets, octets


def fmt(instructions):
    return "%.1f k instructions (≈ %.3f ms on a 240 MHz core)" % (
        instructions / 1e3,
        instructions / CORE_HZ * 1e3,
    )


def main():
    from simserver import free_port

    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "unix", "micropython")
    base, _, _ = run(binary, "udp", 0, free_port())
    udp, packets, octets = run(binary, "udp", FRAMES, free_port())
    per_frame = (udp.total - base.total) / FRAMES
    print(
        "RtpJpeg, VGA (build/frames/10_10), max_payload 1400: %.1f packets, %.0f payload bytes per frame"
        % (packets / FRAMES, octets / FRAMES)
    )
    print("UDP, whole process per frame (start + send loop): " + fmt(per_frame))
    tcp, _, _ = run(binary, "tcp", FRAMES, free_port())
    own = sum(tcp.inclusive(name) for name in ("rtp_start", "rtp_send"))
    print("TCP interleaved, rtp_start + rtp_send inclusive per frame: " + fmt(own / FRAMES))
    print("  of which cg_rtp_send inclusive: " + fmt(tcp.inclusive("cg_rtp_send") / FRAMES))
    print("  top self cost (TCP run, whole process):")
    for instr, name in tcp.top(8):
        print("    %5.1f %%  %s" % (100.0 * instr / max(1, tcp.total), name))


if __name__ == "__main__":
    main()
