"""The camera on MQTT: Home Assistant's entities, their states, their commands, snapshots.

MqttService ties the session (client.py) to the camera application: on every connection it
publishes availability, the discovery configs (discovery.py) and every state; a setting changed
from any source (page, /control, MQTT: CameraRoutes.watchers) is published again; a command goes
through CameraRoutes.change, the path /control takes (same validation, same saving), and a bad
one is refused with one WARNING line. A snapshot is written from the camera buffer it was
grabbed into, held as any sender holds a frame (frames/buffers.py), never copied into the heap.

Motion comes from the camera's motion detector (camserver.motion.detector.Motion) once it is
attached (attach_motion): its `listeners` are called with it after each start and stop.
"""

import asyncio
import gc
import json
import time

from camserver import VERSION, log
from camserver.camera import missing
from camserver.mqtt import codec, discovery
from camserver.mqtt.client import Client
from camserver.transport.address import url

# /status.mqtt's members (MqttService.status_values gives them in this order)
_STATUS = ("connected", "connects", "error", "queued", "dropped", "skipped", "snapshots")
DIAGNOSTICS_MS = 30000  # how often the diagnostic sensors are published
SNAPSHOT_TIMEOUT_MS = 5000
_SHOWN = 40  # characters of a refused payload the warning shows


class MqttService:
    def __init__(self, config, routes, hub, server, restart=None):
        """restart: () -> resets the device (the restart button), or None (no button)."""
        hostname = config["hostname"]
        self.config = config
        self.routes = routes
        self.hub = hub
        self.server = server
        self.restart = restart
        self.base = config["mqtt_topic"] or "camserver/" + hostname
        self.prefix = config["mqtt_discovery"]
        for name, topic in (("mqtt_topic", self.base), ("mqtt_discovery", self.prefix)):
            if "+" in topic or "#" in topic or topic.endswith("/"):
                raise ValueError("%s %r: a topic without wildcards or a trailing /" % (name, topic))
        self.node = _node_id(hostname)
        self.url = None  # the camera page, for configuration_url (known once serving)
        self.motion = None
        self.snapshots = 0
        self.last_reset = None  # /status.last_reset ({"cause", ...}, fixed at boot): a diagnostic
        self._grabbed = (hub.grabbed, time.ticks_ms())  # for the frame rate between diagnostics
        status = self.base + "/status"
        self.client = client = Client(
            config["mqtt_host"],
            config["mqtt_port"],
            "camserver-" + self.node,
            config["mqtt_keepalive_s"],
            config["mqtt_user"],
            config["mqtt_password"],
            (status, b"offline"),
            _tls(config),
        )
        client.last_words = (status, b"offline")  # pyright: ignore[reportAttributeAccessIssue] (a slot Client declares None)
        client.subscriptions = [self.base + "/+/set"]
        if self.prefix:
            client.subscriptions.append(self.prefix + "/status")  # Home Assistant's birth message
        client.on_connect = self._announce  # pyright: ignore[reportAttributeAccessIssue] (a slot Client declares None)
        client.on_message = self._message  # pyright: ignore[reportAttributeAccessIssue] (a slot Client declares None)
        routes.watchers.append(self._changed)
        if (config["auth_user"] or config["auth_password"]) and not config["mqtt_user"]:
            # (the names only: a credential never reaches the console)
            log.warning(
                "mqtt: camera auth is set, mqtt_user is empty: anyone who publishes to %s/+/set controls it",
                self.base,
            )

    def attach_motion(self, motion):
        """Publish motion's state (ON/OFF) and a snapshot when it starts."""
        self.motion = motion
        motion.listeners.append(self._motion)

    async def run(self, address):
        """Keep the broker connection and publish the diagnostics until cancelled."""
        self.url = url(address, self.config["port"])
        log.info(
            "mqtt: broker %s:%d, base topic %s", self.config["mqtt_host"], self.config["mqtt_port"], self.base
        )
        session = asyncio.create_task(self.client.run())
        try:
            while True:
                await asyncio.sleep_ms(DIAGNOSTICS_MS)
                if self.client.connected:
                    self._publish_diagnostics()
        finally:
            session.cancel()

    def stop(self):
        """A clean stop: `offline`, then DISCONNECT (synchronous)."""
        self.client.stop()

    def status(self):
        """/status "mqtt"."""
        return dict(zip(_STATUS, self.status_values()))  # noqa: B905 (MicroPython's zip has no strict=)

    def status_values(self):
        """status()'s values, in _STATUS's order: what /status compares to know it changed."""
        client = self.client
        outbox = client.outbox
        return (
            client.connected,
            client.connects,
            client.error,
            len(outbox.messages),
            outbox.dropped,
            client.skipped,
            self.snapshots,
        )

    # -- what is published --

    def _settings(self):
        """The entity settings this camera has, with their values."""
        camera = self.routes.camera
        out = {}
        for name in ("framesize",) + discovery.NUMBERS + discovery.SWITCHES:
            try:
                value = self.config[name] if name in ("motion", "motion_sensitivity") else camera.get(name)
            except (KeyError, ValueError):
                continue
            if name == "led_intensity" and value < 0:
                continue  # (-1: the board has no LED)
            out[name] = value
        return out

    def _diagnostics(self):
        grabbed, since = self._grabbed
        now = time.ticks_ms()
        elapsed = time.ticks_diff(now, since)
        fps = (self.hub.grabbed - grabbed) * 1000 / elapsed if elapsed > 0 else 0
        self._grabbed = (self.hub.grabbed, now)
        out = {
            "fps": round(fps, 1),
            "viewers": len(self.hub.viewers),
            "uptime": (time.time_ns() - self.server.started_ns) // 1000000000,
            "heap_free": gc.mem_free(),
        }
        rssi = _rssi()
        if rssi is not None:
            out["rssi"] = rssi
        if self.last_reset is not None:
            out["last_reset"] = self.last_reset["cause"]
        return out

    def _publish_diagnostics(self, values=None):
        self.client.publish(self.base + "/diagnostics", json.dumps(values or self._diagnostics()), 0, True)

    def _announce(self):
        """After each CONNACK: everything the broker and Home Assistant must know (again)."""
        client = self.client
        base = self.base
        client.publish(base + "/status", "online")
        values = self._settings()
        diagnostics = self._diagnostics()
        if self.prefix:
            camera_status = self.routes.camera.status()
            model = _board()
            dev = discovery.device(self.node, self.config["hostname"], model, VERSION, self.url)
            entities = discovery.Entities(
                base,
                self.node,
                dev,
                values,
                camera_status.get("framesizes", ()),
                diagnostics,
                self.restart is not None,
            )
            for component, object_id, config in entities.configs():
                topic = "%s/%s/%s/%s/config" % (self.prefix, component, self.node, object_id)
                client.publish(topic, json.dumps(config))
        for name in values:
            client.publish(base + "/" + name, discovery.state(name, values[name]))
        if self.motion is not None:
            client.publish(base + "/motion", "ON" if self.motion.active else "OFF")
        client.publish(
            base + "/update", json.dumps({"installed_version": VERSION, "latest_version": VERSION})
        )
        self._publish_diagnostics(diagnostics)

    def _changed(self, name, value):
        if name in discovery.NUMBERS or name in discovery.SWITCHES or name == "framesize":
            if name == "led_intensity" and value < 0:
                return
            self.client.publish(self.base + "/" + name, discovery.state(name, value))

    def _motion(self, motion):
        # (called from the grabber task: only queues, never waits)
        self.client.publish(self.base + "/motion", "ON" if motion.active else "OFF")
        if motion.active:
            self.client.add_job(self._snapshot)

    # -- commands --

    def _message(self, topic, payload):
        if self.prefix and topic == self.prefix + "/status":
            if bytes(payload) == b"online":  # Home Assistant (re)started: it needs the configs again
                self._announce()
            return
        base = self.base
        if not topic.startswith(base + "/") or not topic.endswith("/set"):
            return
        name = topic[len(base) + 1 : -4]
        try:
            if len(payload) > _SHOWN:
                raise ValueError("longer than %d bytes" % _SHOWN)
            try:
                text = str(payload, "utf-8")
            except UnicodeError:
                raise ValueError("not text")
            if name in ("snapshot", "restart"):
                if text != "PRESS":
                    raise ValueError("expected PRESS, got %r" % text)
                if name == "snapshot":
                    self.client.add_job(self._snapshot)
                elif self.restart is not None:
                    log.info("mqtt: restart")
                    self.restart()
                return
            if name not in discovery.NUMBERS and name not in discovery.SWITCHES and name != "framesize":
                raise ValueError("no such setting")
            self.routes.change(name, discovery.command(name, text))
        except ValueError as e:
            log.warning("mqtt: %s refused (%d bytes): %s", topic, len(payload), e)

    # -- the snapshot: the holder of the frame while it is written --

    async def _snapshot(self, client):
        hub = self.hub
        if missing(self.routes.camera) is not None or hub.suspended:
            log.warning("mqtt: no snapshot: camera not available")
            return
        shared = await hub.fresh(time.time_ns() // 1000, SNAPSHOT_TIMEOUT_MS, self)
        if shared is None:
            log.warning("mqtt: no snapshot: the camera delivered no frame in time")
            return
        try:
            payload = shared.payload
            length = shared.length
            prefix = shared.prefix
            await client.write(codec.publish_head(self.base + "/snapshot", length + len(prefix)))
            if prefix:  # rotate: the EXIF segment right after the SOI marker (app/exif.py)
                await client.write(payload, 0, 2)
                await client.write(prefix)
                await client.write(payload, 2, length)
            else:
                await client.write(payload, 0, length)
            self.snapshots += 1
        finally:
            hub.buffers.drop(shared, self)

    def blocked_ms(self, now):
        """How long the snapshot has waited on the broker (-1: not waiting): frames/buffers.py."""
        since = self.client.blocked_since
        return -1 if since is None else time.ticks_diff(now, since)

    def revoke(self):
        """The camera needs the buffer back: the connection ends before another byte of it is
        written (client.write checks), and starts again."""
        self.client.end("snapshot revoked: the broker stopped reading")


def _node_id(hostname):
    # Discovery topics and unique ids allow [a-zA-Z0-9_-]; the chip's id makes two cameras
    # with the default hostname two devices.
    out = ""
    for c in hostname:
        out += c if c.isalpha() or c.isdigit() or c in "_-" else "_"
    try:
        import machine

        out += "_" + "".join("%02x" % b for b in machine.unique_id())
    except (ImportError, AttributeError):
        pass
    return out


def _board():
    import sys

    return sys.implementation._machine  # ("Generic ESP32S3 module with ESP32S3" on the board)


def _der(pem):
    """The first certificate of a PEM file as DER: the port's mbedtls may be built without a PEM
    parser (the unix port's is), and takes DER everywhere."""
    import binascii

    start = pem.find(b"\n", pem.find(b"-----BEGIN")) + 1
    end = pem.find(b"-----END", start)
    if start <= 0 or end < 0:
        raise ValueError("not a PEM certificate")
    return binascii.a2b_base64(pem[start:end])


def _rssi():
    try:
        import network

        return network.WLAN(network.STA_IF).status("rssi")
    except Exception:  # (no network module on the host; not connected)
        return None


def _tls(config):
    if not config["mqtt_tls"]:
        return None
    try:
        import ssl
    except ImportError:
        raise ValueError("mqtt_tls: this build has no ssl module")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if config["mqtt_ca"]:
        with open(config["mqtt_ca"], "rb") as f:
            data = f.read()
        if data.startswith(b"-----"):
            data = _der(data)
        try:
            context.load_verify_locations(cadata=data)
        except ValueError as e:
            raise ValueError("mqtt_ca %s: %s" % (config["mqtt_ca"], e))
        context.verify_mode = ssl.CERT_REQUIRED  # (not the port's default: said here)
    else:
        log.warning("mqtt: TLS without mqtt_ca: the broker's certificate is not checked")
        context.verify_mode = ssl.CERT_NONE
    return context
