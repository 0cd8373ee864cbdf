"""The MQTT session: one connection to the broker at a time, kept up for as long as it runs.

run() connects, and when the broker or the network goes away connects again after a back-off
(1 s doubling to BACKOFF_MAX_MS, plus up to half of it at random, so cameras restarted
together do not reconnect in step). Each connection has two tasks on its non-blocking socket:
the writer (the outbox, control packets, and jobs that write straight from a buffer, such as a
snapshot from a camera buffer) and the reader (a fixed buffer; packets too big for it are
skipped). run() itself watches them: no CONNACK in time, no PINGRESP in time, or a writer that
the broker has not let write for keepalive seconds (it stopped reading) ends the connection.
Nothing here blocks, except the one name lookup of a broker given by name (see _address).
codec.py makes and checks the packets; outbox.py bounds what waits for the broker.
"""

import asyncio
import random
import socket
import time

from camserver import log
from camserver.mqtt import codec
from camserver.mqtt.outbox import Outbox
from camserver.transport.wait import readable, writable

BACKOFF_MIN_MS = 1000
BACKOFF_MAX_MS = 60000
CONNACK_TIMEOUT_MS = 10000
IN_BUFFER = 1024  # the largest packet read from the broker (commands are a few bytes)
CHUNK = 4096  # bytes per socket write
_TICK_MS = 250  # how often run() checks the connection's deadlines
_EINPROGRESS = (115, 119)  # Linux, lwIP


class Client:
    def __init__(self, host, port, client_id, keepalive_s, user="", password="", will=None, tls=None):
        """keepalive_s: the mqtt_keepalive_s setting (its default is settings.TABLE's);
        will: (topic, payload) published retained by the broker if the connection is lost;
        tls: an ssl.SSLContext or None."""
        self.host = host
        self.port = port
        self.client_id = client_id
        self.keepalive_ms = keepalive_s * 1000
        self._connect = codec.connect(client_id, keepalive_s, user, password, *(will or ("", b"")))
        self.tls = tls
        self.outbox = Outbox()
        self.subscriptions = []
        self.on_connect = None  # () after each CONNACK: publish what the broker must know again
        self.on_message = None  # (topic, payload memoryview) for each PUBLISH received
        self.connected = False
        self.connects = 0  # CONNACKs received
        self.error = None  # why the last connection ended (or failed), for /status
        self.skipped = 0  # incoming packets too big for the buffer
        self._addr = None
        self._sock = None
        self._jobs = []  # coroutine functions job(client) the writer runs when the outbox is empty
        self._wake = asyncio.Event()
        self._ended = None  # why the current connection must end, or None
        self._acks = []  # packet ids of QoS 1 PUBLISHes received, to acknowledge
        self._ping_sent = None  # ticks_ms of a PINGREQ not yet answered
        self._last_write = 0
        self.blocked_since = None  # ticks_ms since the writer waits for the socket, or None
        self._started = 0
        self._in = bytearray(IN_BUFFER)

    # -- what the application calls --

    def publish(self, topic, payload, qos=1, retain=True):
        """Queue payload (str or bytes) for topic (the newest per topic wins: outbox.py)."""
        if isinstance(payload, str):
            payload = payload.encode()
        self.outbox.put(topic, payload, qos, retain)
        self._wake.set()

    def add_job(self, job):
        """job(client) runs in the writer once the outbox is empty (if the connection lives);
        it writes with client.write(). The same job is queued once."""
        if job not in self._jobs and len(self._jobs) < 4:
            self._jobs.append(job)
            self._wake.set()

    async def write(self, buf, off=0, end=-1):
        """Write buf[off:end] on the connection, waiting for the socket as needed (from a job)."""
        sock = self._sock
        if end < 0:
            end = len(buf)
        while off < end:
            n = sock.write(buf, off, min(CHUNK, end - off))  # pyright: ignore[reportCallIssue] (a stream write with offset and length: ANCHORS)
            if n:
                off += n
                continue
            if self.blocked_since is None:
                self.blocked_since = time.ticks_ms()
            yield writable(sock)
            if self._ended:
                raise OSError("connection ended")
        self.blocked_since = None
        self._last_write = time.ticks_ms()

    def stop(self):
        """A clean stop, synchronous (the server's finally): last_words (the retained
        availability `offline`) and DISCONNECT, if they fit the socket at once; else the
        connection is just closed and the broker publishes the will, which says the same."""
        sock = self._sock
        self._sock = None
        if sock is None:
            return
        try:
            if self.connected and self.last_words is not None:
                topic, payload = self.last_words
                data = codec.publish_head(topic, len(payload), 0, True) + payload + codec.DISCONNECT_BYTES
                if sock.write(data) == len(data):
                    log.info("mqtt: disconnected")
        except OSError:
            pass
        sock.close()
        self.connected = False

    last_words = None  # (topic, payload) stop() publishes before DISCONNECT

    # -- the session --

    async def run(self):
        failures = 0
        last = None
        while True:
            try:
                await self._session()
            except OSError as e:
                self.error = "%s:%d: %s" % (self.host, self.port, e)
            except codec.ProtocolError as e:
                self.error = str(e)
            finally:
                self._close()
            if self.connected:
                failures = 0
            self.connected = False
            delay = min(BACKOFF_MAX_MS, BACKOFF_MIN_MS << min(failures, 6))
            delay += random.getrandbits(16) % (delay // 2 + 1)
            failures += 1
            # One line per new reason: a broker down for an hour is not sixty lines.
            say = log.warning if self.error != last else log.debug
            last = self.error
            say("mqtt: %s; connecting again in %d ms", self.error, delay)
            await asyncio.sleep_ms(delay)

    def _address(self):
        # An IP address needs no lookup. A name does, and getaddrinfo blocks the whole loop on
        # the board (lwIP's DNS): it is looked up once and kept, and again only after a
        # connection to it failed.
        if self._addr is None:
            if not _is_ip(self.host):
                log.info("mqtt: looking up %s (this blocks once)", self.host)
            self._addr = socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM)[0][-1]
        return self._addr

    async def _session(self):
        self._ended = None
        self._ping_sent = None
        self.blocked_since = None
        self._acks = []
        sock = socket.socket()
        self._sock = sock
        sock.setblocking(False)
        try:
            sock.connect(self._address())
        except OSError as e:
            if e.errno not in _EINPROGRESS:
                self._addr = None
                raise
        if self.tls is not None:
            sock = self._sock = self.tls.wrap_socket(
                sock, server_hostname=self.host, do_handshake_on_connect=False
            )
            sock.setblocking(False)
        self._started = time.ticks_ms()
        self.outbox.reconnected()
        writer = asyncio.create_task(self._guard(self._write_loop()))
        reader = asyncio.create_task(self._guard(self._read_loop()))
        try:
            while self._ended is None:
                await asyncio.sleep_ms(_TICK_MS)
                self._check(time.ticks_ms())
        finally:
            writer.cancel()
            reader.cancel()
        raise OSError(self._ended)

    def _check(self, now):
        """End the connection when a deadline passed (run every _TICK_MS)."""
        if not self.connected:
            if time.ticks_diff(now, self._started) > CONNACK_TIMEOUT_MS:
                self.end("no CONNACK within %d ms" % CONNACK_TIMEOUT_MS)
            return
        if self.blocked_since is not None and time.ticks_diff(now, self.blocked_since) > self.keepalive_ms:
            self.end("the broker stopped reading")
        elif self._ping_sent is not None and time.ticks_diff(now, self._ping_sent) > self.keepalive_ms // 2:
            self.end("no PINGRESP")
        elif time.ticks_diff(now, self._last_write) > self.keepalive_ms * 3 // 4:
            self._wake.set()  # the writer pings

    def end(self, reason):
        if self._ended is None:
            self._ended = reason
            self._wake.set()

    async def _guard(self, loop):
        # A task's failure ends the connection with its reason (one line, never a traceback).
        try:
            await loop
        except OSError as e:
            self.end(str(e) if e.args and isinstance(e.args[0], str) else "connection lost (%s)" % e)
        except codec.ProtocolError as e:
            self.end(str(e))
        except Exception as e:
            if self.tls is not None and isinstance(e, ValueError):
                # The port's tls module says a handshake failed (a certificate mqtt_ca did not
                # sign) with a ValueError.
                self.end("TLS: " + str(e).strip())
            else:  # a bug on this side: the connection starts again, the camera goes on
                log.error("mqtt: %r", e)
                self.end("internal error")

    def _close(self):
        sock = self._sock
        self._sock = None
        if sock is not None:
            sock.close()

    async def _write_loop(self):
        await self.write(self._connect)
        while not self.connected:
            self._wake.clear()
            await self._wake.wait()
            if self._ended:
                return
        if self.subscriptions:
            await self.write(codec.subscribe(1, self.subscriptions))
        outbox = self.outbox
        while not self._ended:
            if self._acks:
                await self.write(codec.puback(self._acks.pop(0)))
                continue
            message = outbox.next()
            if message is not None:
                payload = message.payload
                await self.write(
                    codec.publish_head(
                        message.topic, len(payload), message.qos, message.retain, message.pid, message.dup
                    )
                )
                await self.write(payload)
                outbox.written(message)
                continue
            if self._jobs:
                await self._jobs.pop(0)(self)
                continue
            now = time.ticks_ms()
            if (
                self._ping_sent is None
                and time.ticks_diff(now, self._last_write) > self.keepalive_ms * 3 // 4
            ):
                await self.write(codec.PINGREQ_BYTES)
                self._ping_sent = now
                continue
            self._wake.clear()
            await self._wake.wait()

    async def _read_loop(self):
        sock = self._sock
        buf = self._in
        mv = memoryview(buf)
        n = 0  # bytes in buf
        skip = 0  # bytes of an oversized packet still to throw away
        while True:
            got = sock.readinto(mv[n:]) if not skip else sock.readinto(mv, min(skip, len(buf)))
            if got is None:
                yield readable(sock)
                continue
            if not got:
                raise OSError("the broker closed the connection")
            if skip:
                skip -= got
                continue
            n += got
            while True:
                header = codec.parse_header(buf, n)
                if header is None:
                    break
                kind, flags, remaining, start = header
                end = start + remaining
                if end > len(buf):
                    self.skipped += 1
                    log.warning("mqtt: skipped a %d-byte packet from the broker (at most %d)", end, len(buf))
                    skip = end - n
                    n = 0
                    break
                if end > n:
                    break
                self._packet(kind, flags, mv[start:end])
                buf[: n - end] = mv[end:n]
                n -= end

    def _packet(self, kind, flags, body):
        if kind == codec.CONNACK:
            if self.connected:
                raise codec.ProtocolError("a second CONNACK")
            codec.connack(body)
            self.connected = True
            self.connects += 1
            self.error = None
            self._last_write = time.ticks_ms()
            log.info("mqtt: connected to %s:%d", self.host, self.port)
            if self.on_connect is not None:
                self.on_connect()
            self._wake.set()
            return
        if not self.connected:
            raise codec.ProtocolError("packet type %d before CONNACK" % kind)
        if kind == codec.PUBACK:
            self.outbox.acked(codec.packet_id(body))
        elif kind == codec.PINGRESP:
            if len(body):
                raise codec.ProtocolError("malformed PINGRESP")
            self._ping_sent = None
        elif kind == codec.SUBACK:
            codec.suback(body)
        else:
            topic, qos, pid, start = codec.publish(flags, body)
            if qos and len(self._acks) < 8:
                self._acks.append(pid)
                self._wake.set()
            if self.on_message is not None:
                self.on_message(topic, body[start:])


def _is_ip(host):
    parts = host.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part.isdigit() or int(part) > 255:
            return False
    return True
