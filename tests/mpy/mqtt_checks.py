"""The MQTT codec (camserver/mqtt/codec.py) and the outgoing queue (outbox.py), inside MicroPython."""

import check
from camserver.mqtt import codec
from camserver.mqtt.outbox import Outbox


def test_varint_round_trips_at_every_length_boundary():
    for n in (0, 127, 128, 16383, 16384, 2097151, 2097152, codec.MAX_REMAINING):
        head = b"\x30" + codec.varint(n)
        kind, flags, remaining, start = codec.parse_header(head, len(head))
        assert (kind, remaining, start) == (codec.PUBLISH, n, len(head)), (n, remaining)
    check.raises(ValueError, codec.varint, codec.MAX_REMAINING + 1)


def test_header_waits_for_its_bytes_and_refuses_a_fifth_length_byte():
    assert codec.parse_header(b"\x30", 1) is None
    assert codec.parse_header(b"\x30\x80\x80", 3) is None
    check.raises(codec.ProtocolError, codec.parse_header, b"\x30\xff\xff\xff\xff\x01", 6)


def test_header_refuses_what_a_broker_never_sends_a_client():
    check.raises(codec.ProtocolError, codec.parse_header, b"\x10\x00", 2)  # CONNECT
    check.raises(codec.ProtocolError, codec.parse_header, b"\x82\x00", 2)  # SUBSCRIBE
    check.raises(codec.ProtocolError, codec.parse_header, b"\x21\x02", 2)  # CONNACK with flags


def test_connect_carries_credentials_and_a_retained_qos1_will():
    packet = codec.connect("cam", 30, "user", "pw", "base/status", b"offline")
    assert packet[0] == 0x10 and packet[1] == len(packet) - 2
    assert packet[2:9] == b"\x00\x04MQTT\x04"
    assert packet[9] == 0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02
    assert packet[10:12] == b"\x00\x1e"
    assert packet[12:] == b"\x00\x03cam\x00\x0bbase/status\x00\x07offline\x00\x04user\x00\x02pw"
    bare = codec.connect("cam", 30)
    assert bare[9] == 0x02 and bare.endswith(b"\x00\x03cam")


def test_publish_head_is_what_goes_before_the_payload():
    head = codec.publish_head("a/b", 5, 1, True, 7)
    assert head == b"\x33\x0c\x00\x03a/b\x00\x07"  # 2 + 3 + 2 + the 5 of the payload
    assert codec.publish_head("a/b", 200000, 0, False)[:4] == b"\x30" + codec.varint(200005)
    assert codec.publish_head("t", 0, 1, False, 9, True)[0] == 0x3A


def test_connack_says_why_the_broker_refused():
    assert codec.connack(b"\x00\x00") is None
    assert "bad user name or password" in str(check.raises(codec.ProtocolError, codec.connack, b"\x00\x04"))
    check.raises(codec.ProtocolError, codec.connack, b"\x00")
    check.raises(codec.ProtocolError, codec.connack, b"\x02\x00")


def test_incoming_publish_is_checked():
    body = b"\x00\x03a/b" + b"12"
    assert codec.publish(0, body) == ("a/b", 0, 0, 5)
    assert codec.publish(2, b"\x00\x01t\x00\x05x") == ("t", 1, 5, 5)
    check.raises(codec.ProtocolError, codec.publish, 4, body)  # QoS 2
    check.raises(codec.ProtocolError, codec.publish, 0, b"\x00\x09a/b")  # topic past the end
    check.raises(codec.ProtocolError, codec.publish, 0, b"\x00\x02\xff\xfe")  # not UTF-8
    check.raises(codec.ProtocolError, codec.publish, 2, b"\x00\x01t\x00\x00")  # packet id 0


def test_suback_and_puback_are_checked():
    assert codec.suback(b"\x00\x01\x00\x00") == 1
    check.raises(codec.ProtocolError, codec.suback, b"\x00\x01\x80")
    assert codec.packet_id(b"\x01\x02") == 258
    check.raises(codec.ProtocolError, codec.packet_id, b"\x00\x00")
    check.raises(codec.ProtocolError, codec.packet_id, b"\x00")


def test_outbox_keeps_one_message_per_topic():
    box = Outbox(max_messages=8)
    for value in range(1000):
        box.put("cam/quality", b"%d" % value)
        box.put("cam/diagnostics", b"x" * 100, 0, False)
    assert len(box.messages) == 2
    assert box.messages[0].payload == b"999"
    assert box.dropped == 2 * 999


def test_outbox_drops_the_oldest_past_its_bound():
    box = Outbox(max_messages=3)
    for i in range(5):
        box.put("t/%d" % i, b"v")
    assert [m.topic for m in box.messages] == ["t/2", "t/3", "t/4"] and box.dropped == 2


def test_qos1_waits_for_its_puback_and_goes_again_with_dup_after_a_reconnect():
    box = Outbox()
    box.put("a", b"1")
    box.put("b", b"2", 0, False)
    first = box.next()
    assert first.topic == "a" and first.pid == 1 and not first.dup
    box.written(first)
    second = box.next()
    assert second.topic == "b" and second.pid == 0
    box.written(second)
    assert box.next() is None and [m.topic for m in box.messages] == ["a"]
    box.reconnected()
    again = box.next()
    assert again is first and again.pid == 1 and again.dup
    box.written(again)
    assert not box.acked(99)
    assert box.acked(1) and box.messages == []


def test_a_newer_value_replaces_one_waiting_for_its_puback():
    box = Outbox()
    box.put("a", b"1")
    box.written(box.next())
    box.put("a", b"2")
    assert box.dropped == 0  # the first went out; only its retry is not needed
    newer = box.next()
    assert newer.payload == b"2" and newer.pid == 2
    assert not box.acked(1)  # the late PUBACK of the replaced one changes nothing
    assert len(box.messages) == 1


check.run(globals())
