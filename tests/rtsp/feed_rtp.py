# Runs inside MicroPython: sends JPEG files as RTP/JPEG to a test's socket through RtpJpeg
# (camera_glue's when the binary has it, else the Python one), waiting for writability
# whenever send() returns False, as the RTSP session does.
#   micropython feed_rtp.py PORT tcp|udp MAX_PAYLOAD FIRST_SEQ FILE...
import select
import socket
import sys

from camserver.rtsp.jpeg import JpegHeader

try:
    from camera_glue import RtpJpeg

    kind = "c"
except ImportError:
    from camserver.rtsp.packetizer import RtpJpeg

    kind = "python"

port, mode, max_payload, first_seq = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
files = sys.argv[5:]
if mode == "tcp":
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, 7, 4096)  # SO_SNDBUF: small, so writes block often
    channel = 0
else:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    channel = -1
sock.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])
sock.setblocking(False)
poller = select.poll()
poller.register(sock, select.POLLOUT)
p = RtpJpeg(max_payload)
p.ssrc = 0x12345678
p.seq = first_seq
header = JpegHeader()
blocked = 0
for i, path in enumerate(files):
    with open(path, "rb") as f:
        data = f.read()
    h = header.parse(data, len(data))
    p.start(data, h.scan, h.end, h.jpeg_type, h.width, h.height, h.dri, h.qtables, 90000 * i + 7)
    while not p.send(sock, channel):
        blocked += 1
        poller.poll(5000)
    print("frame", i, "seq", p.seq)
print("done", kind, "blocked", blocked, "packets", p.sent_packets, "bytes", p.sent_bytes)
print("again", p.send(sock, channel))
sock.close()
