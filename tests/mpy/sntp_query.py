"""Asks an SNTP server once with camserver.device.sntp.query and prints what it answered
(run by tests/server/test_sntp.py against a server on loopback): "time SECONDS USEC" or
"error TYPE: MESSAGE"."""

import asyncio
import sys

from camserver.device import sntp


async def main(host, port, timeout_ms):
    ticks = 0

    async def beat():  # counts event-loop turns while the query waits: it must not block them
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep_ms(10)

    task = asyncio.create_task(beat())
    try:
        seconds, usec = await sntp.query(host, port, timeout_ms)
        print("time %d %d" % (seconds, usec))
    except (OSError, ValueError) as e:
        print("error %s: %s" % (type(e).__name__, e))
    task.cancel()
    print("loop turns %d" % ticks)


asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
