"""A Supervisor-run server that does not use the framework: tests the process management alone.

Usage: python raw_supervised.py PORT WORKERS [MODE]
MODE: ``ok`` (default), ``boot-fail`` (every worker raises before ready), ``crash-after-ready``
(each worker exits 1 shortly after reporting ready).
GET / answers the worker's pid; GET /slow answers after 1.5 s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from aioweb.server.supervisor import Supervisor, WorkerContext, bind_reuseport, reserve_port


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"GET /slow "):
            await asyncio.sleep(1.5)
        body = str(os.getpid()).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def serve(port: int, mode: str, context: WorkerContext) -> None:
    async def main() -> None:
        if mode == "boot-fail":
            raise RuntimeError("cannot boot")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        tasks: set[asyncio.Task[None]] = set()

        def track(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = loop.create_task(handle(reader, writer))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        server = await asyncio.start_server(track, sock=bind_reuseport("127.0.0.1", port))
        context.notify_ready()
        if mode == "crash-after-ready":
            await asyncio.sleep(0.05)
            os._exit(1)
        await stop.wait()
        server.close()
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    asyncio.run(main())


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "ok"
    reserved = reserve_port("127.0.0.1", port)
    port = reserved.getsockname()[1]
    print(f"PORT {port}", flush=True)
    supervisor = Supervisor(
        lambda ctx: serve(port, mode, ctx),
        workers,
        graceful_timeout=5.0,
        backoff_initial=0.2,
        backoff_max=1.0,
        stable_after=5.0,
    )
    sys.exit(supervisor.run())
