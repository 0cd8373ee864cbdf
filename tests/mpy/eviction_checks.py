"""Which connection a newcomer replaces (transport/eviction.py), inside MicroPython, with fake
connections and a fixed clock."""

import check
from camserver.transport.eviction import GRACE_MS, REPLACE_AFTER_MS, choose
from camserver.transport.phases import DRAINING, IDLE, READING, SENDING, UNTIMED

NOW = 100000


class Conn:
    def __init__(self, host, phase, waited, expired=0):
        self.host = host
        self.phase = phase
        self.since = NOW - waited
        self.expired = expired


def test_idle_goes_first_then_the_oldest_partial_head():
    heads = [Conn("a", READING, 5000), Conn("b", READING, 9000)]
    idle = Conn("c", IDLE, 10)
    assert choose(heads + [idle], None, NOW, 3) is idle
    assert choose(heads, None, NOW, 3) is heads[1]


def test_a_request_still_on_its_way_is_not_replaced():
    young = Conn("a", READING, GRACE_MS - 1)
    assert choose([young], None, NOW, 3) is None
    assert choose([Conn("a", READING, GRACE_MS)], None, NOW, 3) is not None


def test_an_address_flooding_half_sent_heads_loses_them_at_any_age():
    flood = [Conn("x", READING, 10) for _ in range(4)]
    assert choose(flood, None, NOW, 3) in flood
    assert choose(flood[:3], None, NOW, 3) is None  # three: maybe a browser loading a page
    # Other connections of the address (answered, streaming) do not count as flooding.
    browser = [Conn("b", READING, 10)] + [Conn("b", UNTIMED, 10) for _ in range(5)]
    assert choose(browser, None, NOW, 3) is None


def test_the_address_holding_most_slots_gives_first():
    mine = Conn("a", READING, 9000)
    theirs = [Conn("b", READING, 1000) for _ in range(3)]
    assert choose([mine] + theirs, None, NOW, 6) in theirs


def test_senders_count_only_once_their_client_stopped_reading():
    slow = Conn("a", SENDING, REPLACE_AFTER_MS - 1)
    stopped = Conn("b", SENDING, REPLACE_AFTER_MS)
    assert choose([slow], None, NOW, 6) is None
    assert choose([slow, stopped], None, NOW, 6) is stopped


def test_real_work_and_expired_connections_are_never_chosen():
    busy = [Conn("a", UNTIMED, 99999), Conn("b", DRAINING, 99999), Conn("c", IDLE, 99999, expired=IDLE)]
    assert choose(busy, None, NOW, 6) is None


def test_only_the_given_address_when_its_own_cap_is_reached():
    other = Conn("b", IDLE, 9000)
    own = Conn("a", READING, 500)
    assert choose([other, own], "a", NOW, 6) is own
    assert choose([other], "a", NOW, 6) is None


check.run(globals())
