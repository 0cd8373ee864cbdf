"""The ceiling for benchmark (c): a bare MicroPython asyncio loop, no HTTP parsing to
speak of, writing the 120 kB body in 4096-byte memoryview slices with TCP_NODELAY.

    micropython bench/bare_server.py PORT
"""

import asyncio
import sys

BODY = bytearray(120000)
HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 120000\r\n\r\n"


async def handle(reader, writer):
    writer.s.setsockopt(6, 1, 1)  # IPPROTO_TCP, TCP_NODELAY
    mv = memoryview(BODY)
    pending = b""
    try:
        while True:
            while b"\r\n\r\n" not in pending:
                data = await reader.read(1024)
                if not data:
                    return
                pending += data
            pending = pending[pending.index(b"\r\n\r\n") + 4 :]
            writer.write(HEAD)
            await writer.drain()
            for off in range(0, len(BODY), 4096):
                writer.write(mv[off : off + 4096])
                await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def main(port):
    await asyncio.start_server(handle, "127.0.0.1", port)
    print("camera ready: http://127.0.0.1:%d/" % port)
    while True:
        await asyncio.sleep(3600)


asyncio.run(main(int(sys.argv[1])))
