"""Sends JPEG files as RTP/JPEG to a test's socket, inside MicroPython, the way the RTSP session
sends: send(), and on False wait for writability (select.poll) and call again.

    micropython tests/mpy/rtp_feed.py <job.json>

For tests/c/test_rtp_module.py and tests/rtsp/test_packetizer.py. The job (JSON) names:
  files       JPEG files; frame i sends files[i % len(files)] with timestamps[i]
  timestamps  one 32-bit RTP timestamp per frame
  args        start()'s arguments for the files (parsed on the CPython side, qtables in hex);
              without it each file is parsed here by camserver.rtsp.jpeg.JpegHeader
  c_only      true: camera_glue's RtpJpeg or fail; else the Python one without camera_glue
  max_payload, ssrc, seq, port, channel (-1: UDP, else TCP interleaved on that channel),
  sndbuf      (optional) SO_SNDBUF of the TCP socket: small, so writes block often
  churn       (optional) collect the GC heap and refill it with junk between send() calls: the
              frame handed to start() is a fresh bytearray whose only reference is the RtpJpeg
              object, so a binding that did not keep it would send junk
  stop_file, gap_ms  (optional) one frame per gap_ms until stop_file exists or the timestamps
              run out: a receiver (ffmpeg) may join late
Prints one JSON line: which RtpJpeg ran, would-blocks, refused sends, GC bytes start()/send()
allocated, what one more send() said, the object's counters.
"""

import gc
import json
import os
import select
import socket
import sys
import time

with open(sys.argv[1]) as f:
    job = json.load(f)

try:
    from camera_glue import RtpJpeg

    kind = "c"
except ImportError:
    if job.get("c_only"):
        raise
    from camserver.rtsp.packetizer import RtpJpeg

    kind = "python"

SO_SNDBUF = 7  # Linux; the unix port's socket module does not name it


def start_args(data):
    a = job.get("args")
    if a is not None:
        qtables = bytes.fromhex(a["qtables"])
        return a["scan"], a["end"], a["jpeg_type"], a["width"], a["height"], a["dri"], qtables
    from camserver.rtsp.jpeg import JpegHeader

    h = JpegHeader().parse(data, len(data))
    return h.scan, h.end, h.jpeg_type, h.width, h.height, h.dri, h.qtables


jpegs = []
for path in job["files"]:
    with open(path, "rb") as f:
        data = f.read()
    jpegs.append((data, start_args(data)))
channel = job["channel"]

p = RtpJpeg(job["max_payload"])
p.ssrc = job["ssrc"]
p.seq = job["seq"]
first_seq = p.seq

addr = socket.getaddrinfo("127.0.0.1", job["port"])[0][-1]
if channel >= 0:
    s = socket.socket()
    if job.get("sndbuf"):
        s.setsockopt(socket.SOL_SOCKET, SO_SNDBUF, job["sndbuf"])
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(addr)
s.setblocking(False)
poller = select.poll()
poller.register(s, select.POLLOUT)

stop_file = job.get("stop_file")
refused = 0
blocked = 0
alloc_start = 0
alloc_send = 0
junk = []


def stopped():
    try:
        os.stat(stop_file)
        return True
    except OSError:
        return False


def churn():
    # Whatever the GC can free is freed and its memory reused, filled with 0x55.
    if not job.get("churn"):
        return
    junk.clear()
    gc.collect()
    for _ in range(8):
        junk.append(bytearray(b"\x55" * 16384))


# Every global the loop assigns exists before it: a new one could grow the globals dict inside
# a measured start() or send().
m = done = buf = data = args = i = ts = None
gc.collect()
gc.disable()  # collections only where churn() asks for them
for i, ts in enumerate(job["timestamps"]):
    data, args = jpegs[i % len(jpegs)]
    buf = bytearray(data)  # the only reference goes into p.start()
    m = gc.mem_alloc()
    p.start(buf, *args, ts)
    alloc_start += gc.mem_alloc() - m
    buf = None
    while True:
        churn()
        m = gc.mem_alloc()
        try:
            done = p.send(s, channel)
        except OSError as e:
            # A receiver not listening yet: the ICMP port unreachable comes back as
            # ECONNREFUSED on the next write to the connected UDP socket. Only the
            # late-joiner job expects it; the packet stays pending and goes out again.
            if not (stop_file and e.errno == 111):
                raise
            refused += 1
            if stopped():
                break
            time.sleep_ms(job["gap_ms"])
            continue
        alloc_send += gc.mem_alloc() - m
        if done:
            break
        blocked += 1
        poller.poll(5000)
    if stop_file:
        if stopped():
            break
        time.sleep_ms(job["gap_ms"])
gc.enable()
# Done: another send writes nothing and says so (the late-joiner job may stop mid-frame).
again = None if stop_file else p.send(s, channel)
s.close()
print(
    json.dumps(
        {
            "kind": kind,
            "blocked": blocked,
            "refused": refused,
            "alloc_start": alloc_start,
            "alloc_send": alloc_send,
            "again": again,
            "sent_packets": p.sent_packets,
            "sent_bytes": p.sent_bytes,
            "first_seq": first_seq,
            "seq": p.seq,
            "ssrc": p.ssrc,
        }
    )
)
