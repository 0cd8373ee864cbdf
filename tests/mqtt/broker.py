"""Debian's mosquitto on a free loopback port, and a paho-mqtt client that plays Home Assistant.

tools/ensure_system_deps.sh installs mosquitto (`make test`); without it these tests fail with
that command, never skip.
"""

import os
import shutil
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
from simserver import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


class Broker:
    """mosquitto on 127.0.0.1:port (anonymous, or only user/password when given)."""

    def __init__(self, folder, user=None, password=None, port=None, tls=None):
        """tls: (certfile, keyfile) to serve TLS only."""
        assert os.path.exists(MOSQUITTO), "no mosquitto: run `bash tools/ensure_system_deps.sh` as root"
        self.port = port or free_port()
        self.user = user
        self.password = password
        self.conf = os.path.join(folder, "mosquitto-%d.conf" % self.port)
        lines = ["listener %d 127.0.0.1" % self.port, "persistence false"]
        if tls:
            lines += ["certfile " + tls[0], "keyfile " + tls[1]]
        if os.getuid() == 0:
            lines.append("user root")  # (else it becomes `mosquitto`, who cannot read tmp_path's files)
        if user:
            passwords = os.path.join(folder, "passwd")
            subprocess.run([MOSQUITTO_PASSWD, "-c", "-b", passwords, user, password], check=True)
            os.chmod(passwords, 0o600)
            lines += ["allow_anonymous false", "password_file " + passwords]
        else:
            lines.append("allow_anonymous true")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = os.path.join(folder, "mosquitto-%d.log" % self.port)
        self.proc = None
        self.start()

    def ready(self):
        import socket

        socket.create_connection(("127.0.0.1", self.port), timeout=1).close()

    def start(self):
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", self.conf], stdout=open(self.log, "a"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.ready()
                return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline, open(self.log).read()
                time.sleep(0.05)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def certificate(folder, name="127.0.0.1"):
    """A self-signed certificate for name (its own CA) made by openssl: (cert file, key file)."""
    cert = os.path.join(folder, "cert.pem")
    key = os.path.join(folder, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:%s,IP:%s" % (name, name),
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class HomeAssistant:
    """A paho-mqtt client subscribed to everything: messages by topic (the newest, and all)."""

    def __init__(self, broker, ca=None):
        self.messages = {}  # topic -> payload (newest)
        self.history = []  # (topic, payload, retain) in arrival order
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fake-home-assistant")
        if broker.user:
            self.client.username_pw_set(broker.user, broker.password)
        if ca:
            self.client.tls_set(ca_certs=ca)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("#", 0)
        self.client.connect("127.0.0.1", broker.port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message):
        with self._lock:
            self.messages[message.topic] = message.payload
            self.history.append((message.topic, message.payload, message.retain))

    def get(self, topic):
        with self._lock:
            return self.messages.get(topic)

    def since(self, mark):
        with self._lock:
            return self.history[mark:]

    def mark(self):
        with self._lock:
            return len(self.history)

    def wait(self, predicate, timeout=15.0, what="a message"):
        """Wait until predicate() is true; returns its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("no %s within %ss; topics: %s" % (what, timeout, sorted(self.messages)))

    def wait_for(self, topic, payload=None, timeout=15.0, since=0):
        """The payload of the first message on topic after mark since (equal to payload if given)."""

        def found():
            for t, p, _ in self.history[since:]:
                if t == topic and (payload is None or p == payload):
                    return p
            return None

        return self.wait(found, timeout, "%s on %s" % (payload or "message", topic))

    def publish(self, topic, payload):
        self.client.publish(topic, payload).wait_for_publish(5)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()
