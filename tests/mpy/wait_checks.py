"""transport/wait.py inside MicroPython: tasks parked on real sockets (AF_UNIX pairs in the
scratch folder) with the shared awaitable and with a bare yield, wait.DONE, and Sender.write
returning it. Every wait is a bounded number of scheduler rounds; nothing reads a clock."""

import asyncio
import gc

import check
from camserver.transport.sender import Sender
from camserver.transport.wait import DONE, readable
from sockpair import pair

ROUNDS = 200


async def rounds(done, n=ROUNDS):
    """Let the other tasks run until done() or n scheduler rounds passed."""
    for _ in range(n):
        if done():
            return
        await asyncio.sleep_ms(0)


async def awaiting(sock, woke):
    await readable(sock)
    woke.append(sock.read(1))


def test_awaiting_and_yielding_tasks_each_wake_for_their_own_socket():
    # One shared awaitable serves every task: a task that parks with a bare yield while another
    # is suspended in an await must not leave it armed, or the awaiting task would suspend a
    # second time when woken, registered nowhere, and never run again.
    a1, b1 = pair("w1.sock")
    a2, b2 = pair("w2.sock")
    woke = []

    async def yielding():
        yield readable(a2)
        woke.append(a2.read(1))

    async def main():
        tasks = [asyncio.create_task(awaiting(a1, woke)), asyncio.create_task(yielding())]
        await rounds(lambda: False, 3)
        assert woke == []  # both parked: nothing to read yet
        b1.write(b"1")
        await rounds(lambda: len(woke) == 1)
        b2.write(b"2")
        await rounds(lambda: len(woke) == 2)
        assert woke == [b"1", b"2"], woke
        for task in tasks:
            task.cancel()

    asyncio.run(main())
    for s in (a1, b1, a2, b2):
        s.close()


def test_a_cancelled_await_leaves_the_next_one_working():
    a, b = pair("w3.sock")
    woke = []

    async def main():
        first = asyncio.create_task(awaiting(a, woke))
        await rounds(lambda: False, 3)
        first.cancel()
        await rounds(lambda: False, 3)
        asyncio.create_task(awaiting(a, woke))
        await rounds(lambda: False, 3)
        b.write(b"x")
        await rounds(lambda: woke)
        assert woke == [b"x"], woke

    asyncio.run(main())
    a.close()
    b.close()


def test_done_costs_no_allocation():
    async def main():
        gc.collect()
        before = gc.mem_alloc()
        for _ in range(100):
            await DONE
        return gc.mem_alloc() - before

    assert asyncio.run(main()) == 0


class _Conn:
    """The part of a Connection a Sender uses."""

    def __init__(self, sock):
        self.sock = sock
        self.peer = "test"
        self.phases = []

    def arm(self, phase):
        self.phases.append(phase)

    def disarm(self):
        self.phases.append(0)


def test_sender_write_returns_done_unless_it_has_to_wait():
    a, b = pair("w4.sock")
    conn = _Conn(a)
    out = Sender(conn, 4096)
    assert out.write(b"small") is DONE and b.read(5) == b"small" and conn.phases == []
    big = bytearray(1024 * 1024)  # more than the socket buffers hold
    rest = out.write(big)
    assert rest is not DONE
    got = [0]

    async def main():
        task = asyncio.create_task(rest)
        buf = bytearray(65536)
        for _ in range(100000):
            n = b.readinto(buf)
            if n:
                got[0] += n
            if got[0] == len(big):
                break
            await asyncio.sleep_ms(0)
        await rounds(lambda: task.done())
        assert task.done()

    asyncio.run(main())
    assert got[0] == len(big) and conn.phases[0] == 3 and conn.phases[-1] == 0  # SENDING, then none
    a.close()
    b.close()


check.run(globals())
