"""The aioweb application the ASGI servers serve in these tests (``asgi_apps:asgi_app``).

Routes cover what the adapter must carry: plain, streamed, chunked, compressed and file
responses, request bodies read in pieces, ``Expect: 100-continue``, the connection-derived
request attributes, a WebSocket echo with subprotocols and close codes, SSE, and lifespan
hooks (recorded in the file named by ``ASGI_EVENTS``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

from aioweb import web
from aioweb.asgi import to_asgi
from aioweb.sse import sse_response

HERE = Path(__file__).resolve().parent
BIG = b"".join(b"%08d\n" % i for i in range(40_000))  # 360 KB, past FileResponse's small file


def _record(event: str) -> None:
    path = os.environ.get("ASGI_EVENTS")
    if path:
        with open(path, "a") as f:
            f.write(event + "\n")


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def info(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "remote": request.remote,
            "scheme": request.scheme,
            "host": request.host,
            "secure": request.secure,
            "path": request.path,
            "query": dict(request.query),
            "raw_path": request.raw_path,
            "version": list(request.version),
            "method": request.method,
            "transport": request.transport is not None,
            "peername": list(request.transport.get_extra_info("peername") or [])
            if request.transport
            else None,
            "state": request.app["state"],
        }
    )


async def stream(request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.content_type = "text/plain"
    await resp.prepare(request)
    for i in range(int(request.query.get("n", "5"))):
        await resp.write(b"part %d\n" % i)
    await resp.write_eof()
    return resp


async def echo(request: web.Request) -> web.StreamResponse:
    """Reads the body in pieces and answers with its size and a checksum."""
    size = 0
    pieces = 0
    total = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        pieces += 1
        total = (total + sum(chunk[:64])) % 65536
    return web.json_response({"size": size, "pieces": pieces})


async def echo_body(request: web.Request) -> web.Response:
    return web.Response(body=await request.read(), content_type="application/octet-stream")


async def reject_unread(request: web.Request) -> web.Response:
    """Refuses without reading: a client that sent Expect: 100-continue never sends its body."""
    raise web.HTTPForbidden(text="no")


async def big_file(request: web.Request) -> web.FileResponse:
    return web.FileResponse(HERE / "big.txt")


async def compressed(request: web.Request) -> web.Response:
    resp = web.Response(text="squeeze me " * 500)
    resp.enable_compression()
    return resp


async def failing(request: web.Request) -> web.Response:
    raise RuntimeError("boom")


async def slow(request: web.Request) -> web.Response:
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        _record("slow cancelled")
        raise
    return web.Response(text="late")


async def ws(request: web.Request) -> web.WebSocketResponse:
    sock = web.WebSocketResponse(protocols=("chat", "superchat"))
    await sock.prepare(request)
    async for msg in sock:
        if msg.type == web.WSMsgType.TEXT:
            if msg.data == "close":
                await sock.close(code=4001, message=b"asked")
            else:
                await sock.send_str("echo:" + msg.data)
        elif msg.type == web.WSMsgType.BINARY:
            await sock.send_bytes(msg.data[::-1])
    _record(f"ws closed {sock.close_code}")
    return sock


async def ws_refused(request: web.Request) -> web.Response:
    raise web.HTTPForbidden(text="not you")


async def events(request: web.Request) -> web.StreamResponse:
    async with sse_response(request) as resp:
        for i in range(3):
            await resp.send(f"tick {i}", id=str(i))
    return resp


async def _ctx(app: web.Application) -> AsyncIterator[None]:
    _record("ctx enter")
    app["state"] = "ready"
    yield
    _record("ctx exit")


async def _on_startup(app: web.Application) -> None:
    _record("startup")


async def _on_shutdown(app: web.Application) -> None:
    _record("shutdown")


async def _on_cleanup(app: web.Application) -> None:
    _record("cleanup")


def make_app() -> web.Application:
    big = HERE / "big.txt"
    if not big.exists() or big.stat().st_size != len(BIG):
        big.write_bytes(BIG)
    app = web.Application()
    app.on_startup.append(_on_startup)
    app.cleanup_ctx.append(_ctx)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    app.add_routes(
        [
            web.get("/", hello),
            web.get("/info", info),
            web.get("/stream", stream),
            web.post("/echo", echo),
            web.post("/echo-body", echo_body),
            web.post("/reject", reject_unread),
            web.get("/big", big_file),
            web.get("/compressed", compressed),
            web.get("/fail", failing),
            web.get("/slow", slow),
            web.get("/ws", ws),
            web.get("/ws-refused", ws_refused),
            web.get("/events", events),
        ]
    )
    return app


def make_failing_app() -> web.Application:
    app = web.Application()

    async def broken(app: web.Application) -> None:
        raise RuntimeError("database unreachable")

    app.on_startup.append(broken)
    return app


asgi_app = to_asgi(make_app(), handler_cancellation=bool(os.environ.get("ASGI_CANCEL")))
failing_app = to_asgi(make_failing_app())
app = make_app()  # the bare Application: ``uvicorn asgi_apps:app`` (Application.__call__)
