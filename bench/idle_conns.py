"""Open N idle keep-alive connections to a server and hold them (the memory workload's client).

Each connection sends one ``GET /`` and reads the whole reply, so the server has seen a request
on it and now holds it as an idle keep-alive connection.  Protocol on stdio, for ``run.py``:
prints ``READY <open>`` once all are open, waits for a line on stdin, then prints
``ALIVE <n>`` (connections the server has not closed) and exits, closing them all.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys

REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def open_one(
    host: str, port: int, sem: asyncio.Semaphore
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
            writer.write(REQUEST)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await asyncio.wait_for(reader.readexactly(length), 10)
            return reader, writer
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            return None


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("count", type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    sem = asyncio.Semaphore(args.concurrency)
    results = await asyncio.gather(
        *(open_one(args.host, args.port, sem) for _ in range(args.count))
    )
    conns = [c for c in results if c is not None]
    print(f"READY {len(conns)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.sleep(0.2)
    alive = sum(1 for r, _ in conns if not r.at_eof() and r.exception() is None)
    print(f"ALIVE {alive}", flush=True)
    for _, writer in conns:
        writer.close()


if __name__ == "__main__":
    asyncio.run(main())
