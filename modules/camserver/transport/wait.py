"""Parking a task on a socket, and awaiting work that is already done, without allocating.

readable(sock) / writable(sock) put the running task on asyncio's poller (the one place that
knows MicroPython's private `core._io_queue`, looked up on every call as asyncio's own
stream.py does, since asyncio.run makes a new one) and return ONCE, a shared awaitable that
suspends the task once and then finishes, as core.sleep_ms shares its SingletonGenerator:

    await readable(sock)        # in any coroutine
    yield readable(sock)        # in a loop that runs per request or per chunk

One object serves every task: `await` arms it (__iter__) and its first step disarms it and
suspends the task, with nothing in between, so no two tasks ever see it armed. Awaiting it
costs three Python method calls (__iter__, __next__ twice); a coroutine that is a generator, as
every MicroPython coroutine is, may instead yield what readable() returns (asyncio's scheduler
does not look at what a task yields), which is how the hot loops here park. Yielding it leaves
it untouched, which is why the await arms it and readable() does not.

DONE is a generator that has already finished: awaiting it returns at once, with no call and
no allocation. A function that may or may not have to wait (Sender.write) returns DONE when it
did not, and a coroutine when it does, so the common case allocates no coroutine.
"""

from asyncio import core  # pyright: ignore[reportAttributeAccessIssue] (MicroPython's; stubs: CPython asyncio)


class _Once:
    """Yields once (the task stays parked where readable/writable put it), then stops."""

    def __init__(self):
        self.armed = False
        self.stop = StopIteration()  # raised again and again: made once

    def __iter__(self):  # (an await's first step, just before its first __next__)
        self.armed = True
        return self

    def __next__(self):
        if self.armed:
            self.armed = False
            return None
        # A raised exception collects traceback entries; clear them so raising it never grows
        # (the same reuse as core.SingletonGenerator's).
        self.stop.__traceback__ = None
        raise self.stop


ONCE = _Once()


def readable(sock):
    """Park the running task until sock can be read (or has closed or failed)."""
    core._io_queue.queue_read(sock)
    return ONCE


def writable(sock):
    """Park the running task until sock takes more bytes (or has failed)."""
    core._io_queue.queue_write(sock)
    return ONCE


def _finished():
    return
    yield  # (a generator function: this line is never reached)


DONE = _finished()
for _ in DONE:  # run it to its end once: from then on every resume returns at once
    pass
