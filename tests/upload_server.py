"""A server process for the big-upload test and benchmark: the seed's mp3 handler, as written.

Usage: python tests/upload_server.py PORT SPOOL_DIR [aiohttp]
Prints "ready" once listening. GET /rss answers the process's current and peak RSS in KiB.
"""

from __future__ import annotations

import asyncio
import os
import sys

if len(sys.argv) > 3 and sys.argv[3] == "aiohttp":
    from aiohttp import web
else:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from aioweb import web  # type: ignore[no-redef]

SPOOL = sys.argv[2]


async def store_mp3_handler(request: web.Request) -> web.Response:
    reader = await request.multipart()
    field = await reader.next()
    assert field.name == "name"
    name = await field.read(decode=True)
    field = await reader.next()
    assert field.name == "mp3"
    filename = field.filename
    size = 0
    with open(os.path.join(SPOOL, filename), "wb") as f:
        while True:
            chunk = await field.read_chunk()  # 8192 bytes by default.
            if not chunk:
                break
            size += len(chunk)
            f.write(chunk)
    return web.Response(text=f"{filename} sized of {size} successfully stored ({name.decode()})")


async def rss(request: web.Request) -> web.Response:
    fields = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return web.json_response(fields)


async def echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


async def main() -> None:
    app = web.Application(client_max_size=1024**2)
    app.router.add_post("/mp3", store_mp3_handler)
    app.router.add_post("/echo", echo)
    app.router.add_get("/rss", rss)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
