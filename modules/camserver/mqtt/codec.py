"""MQTT 3.1.1 packets to bytes and back: no sockets, no clock, so it is checked in-process.

Encoders return bytes ready to send, except a PUBLISH, whose head (fixed header, topic, packet
id) is returned alone: its payload (a JPEG from a camera buffer) is written after it by the
session, straight from where it is. Decoders take a packet's body and check it strictly: the
broker is trusted with nothing (a wrong length, flag or return code is a ProtocolError, and
the session ends).
"""

CONNECT = 1
CONNACK = 2
PUBLISH = 3
PUBACK = 4
SUBSCRIBE = 8
SUBACK = 9
PINGREQ = 12
PINGRESP = 13
DISCONNECT = 14

PINGREQ_BYTES = b"\xc0\x00"
DISCONNECT_BYTES = b"\xe0\x00"
MAX_REMAINING = 268435455  # four varint bytes (MQTT 3.1.1, 2.2.3)

# CONNACK return codes (MQTT 3.1.1, 3.2.2.3), as a user reads them.
REFUSED = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}


class ProtocolError(ValueError):
    """What the broker sent is not MQTT 3.1.1 as this client speaks it."""


def varint(n):
    """The remaining length n as MQTT's 1-4 byte varint."""
    if n < 0 or n > MAX_REMAINING:
        raise ValueError("remaining length out of range: %d" % n)
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def parse_header(buf, n):
    """The fixed header at the start of buf[:n]: (type, flags, remaining length, header
    length), or None while it is incomplete. ProtocolError for a varint longer than 4 bytes
    or a packet type a client never receives."""
    if n < 2:
        return None
    first = buf[0]
    remaining = 0
    shift = 0
    i = 1
    while True:
        if i >= n:
            if i > 4:
                raise ProtocolError("remaining length longer than 4 bytes")
            return None
        byte = buf[i]
        remaining |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            break
        shift += 7
        if i > 4:
            raise ProtocolError("remaining length longer than 4 bytes")
    kind = first >> 4
    flags = first & 0x0F
    if kind not in (CONNACK, PUBLISH, PUBACK, SUBACK, PINGRESP):
        raise ProtocolError("packet type %d is not sent to a client" % kind)
    if kind != PUBLISH and flags:
        raise ProtocolError("packet type %d with flags %d" % (kind, flags))
    return kind, flags, remaining, i


def _string(text):
    data = text.encode() if isinstance(text, str) else bytes(text)
    if len(data) > 65535:
        raise ValueError("string longer than 65535 bytes")
    return len(data).to_bytes(2, "big") + data


def connect(client_id, keepalive_s, user="", password="", will_topic="", will_payload=b"", will_retain=True):
    """A CONNECT with a clean session, credentials when given and a QoS 1 last will."""
    flags = 0x02  # clean session
    payload = [_string(client_id)]
    if will_topic:
        flags |= 0x04 | 0x08  # will, QoS 1
        if will_retain:
            flags |= 0x20
        payload.append(_string(will_topic))
        payload.append(_string(will_payload))
    if user:
        flags |= 0x80
        payload.append(_string(user))
        if password:
            flags |= 0x40
            payload.append(_string(password))
    body = b"\x00\x04MQTT\x04" + bytes((flags,)) + keepalive_s.to_bytes(2, "big") + b"".join(payload)
    return b"\x10" + varint(len(body)) + body


def publish_head(topic, payload_length, qos=0, retain=False, pid=0, dup=False):
    """The bytes of a PUBLISH before its payload of payload_length bytes."""
    first = 0x30 | (qos << 1) | (1 if retain else 0) | (0x08 if dup else 0)
    variable = _string(topic)
    if qos:
        variable += pid.to_bytes(2, "big")
    return bytes((first,)) + varint(len(variable) + payload_length) + variable


def subscribe(pid, topics):
    """A SUBSCRIBE of each topic filter at QoS 0."""
    body = pid.to_bytes(2, "big")
    for topic in topics:
        body += _string(topic) + b"\x00"
    return b"\x82" + varint(len(body)) + body


def puback(pid):
    return b"\x40\x02" + pid.to_bytes(2, "big")


def connack(body):
    """None when the broker accepted the connection; ProtocolError naming why it did not."""
    if len(body) != 2 or body[0] & 0xFE:
        raise ProtocolError("malformed CONNACK")
    code = body[1]
    if code:
        raise ProtocolError("broker refused the connection: " + REFUSED.get(code, "code %d" % code))


def packet_id(body):
    """The packet id of a PUBACK."""
    if len(body) != 2:
        raise ProtocolError("malformed PUBACK")
    pid = (body[0] << 8) | body[1]
    if not pid:
        raise ProtocolError("packet id 0")
    return pid


def suback(body):
    """(packet id, return codes) of a SUBACK; ProtocolError when a subscription failed."""
    if len(body) < 3:
        raise ProtocolError("malformed SUBACK")
    for code in body[2:]:
        if code == 0x80:
            raise ProtocolError("broker refused a subscription")
        if code > 2:
            raise ProtocolError("malformed SUBACK return code %d" % code)
    return (body[0] << 8) | body[1]


def publish(flags, body):
    """(topic, qos, packet id or 0, payload offset) of an incoming PUBLISH's body. The topic
    must be UTF-8 and the QoS 0 or 1 (this client subscribes at QoS 0; a broker may not send
    QoS 2 to it)."""
    qos = (flags >> 1) & 3
    if qos > 1:
        raise ProtocolError("PUBLISH with QoS %d" % qos)
    if len(body) < 2:
        raise ProtocolError("malformed PUBLISH")
    end = 2 + ((body[0] << 8) | body[1])
    if end > len(body) or (qos and end + 2 > len(body)):
        raise ProtocolError("PUBLISH topic longer than the packet")
    try:
        topic = str(body[2:end], "utf-8")
    except UnicodeError:
        raise ProtocolError("PUBLISH topic is not UTF-8")
    pid = 0
    if qos:
        pid = (body[end] << 8) | body[end + 1]
        if not pid:
            raise ProtocolError("packet id 0")
        end += 2
    return topic, qos, pid, end
