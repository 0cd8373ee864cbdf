"""The sending side of tests/c/test_rtp_module.py, run inside MicroPython with camera_glue.

    micropython tests/c/rtp_module_send.py <job.json>

The job names a JPEG file, start()'s arguments for it (the test parses them on the CPython
side), the RtpJpeg settings and where to send: a TCP port (interleaved, on `channel`) or a
UDP port (channel -1). Every frame goes out the way the RTSP session sends: send(), and on
False wait for writability (select.poll) and call again. Between the calls the script
collects the GC heap and fills it with junk: the frame buffer handed to start() is a fresh
bytearray whose only reference is the RtpJpeg object, so a binding that did not keep it
would send junk. Prints one JSON line: would-blocks, GC bytes start()/send() allocated, the
object's counters. With "stop_file" in the job it sends one frame per "gap_ms" (no GC
churn) until that file exists or the timestamps run out: a receiver (ffmpeg) may join late.
"""

import gc
import json
import os
import select
import socket
import sys
import time

from camera_glue import RtpJpeg

SO_SNDBUF = 7  # Linux; the unix port's socket module does not name it

with open(sys.argv[1]) as f:
    job = json.load(f)
with open(job["file"], "rb") as f:
    jpeg = f.read()
a = job["args"]
qtables = bytes.fromhex(a["qtables"])
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
    if stop_file:
        return
    junk.clear()
    gc.collect()
    for _ in range(8):
        junk.append(bytearray(b"\x55" * 16384))


gc.collect()
gc.disable()  # collections only where churn() asks for them
for ts in job["timestamps"]:
    buf = bytearray(jpeg)  # the only reference goes into p.start()
    m = gc.mem_alloc()
    p.start(buf, a["scan"], a["end"], a["jpeg_type"], a["width"], a["height"], a["dri"], qtables, ts)
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
