"""A Reloader around a bare asyncio server that answers ``greeting.TEXT`` (from the cwd).

Usage: python raw_reloaded.py PORT          (reloader)
       python raw_reloaded.py PORT --serve  (the served child)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys


async def serve(port: int) -> None:
    import greeting  # the module the test edits

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = f"{greeting.TEXT} {os.getpid()}".encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    server = await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=True)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    port = int(sys.argv[1])
    if sys.argv[2:] == ["--serve"]:
        sys.path.insert(0, os.getcwd())
        asyncio.run(serve(port))
    else:
        from aioweb.server.reload import Reloader

        logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
        command = [sys.executable, __file__, str(port), "--serve"]
        sys.exit(Reloader(command, [os.getcwd()], interval=0.2).run())
