"""The same server behaviours on uvloop, the loop ``run_app`` picks when it is installed.

The protocol steps handlers eagerly inside ``data_received`` and hands waiting ones to a
carrier task; that trick must hold on uvloop's C transports as it does on asyncio's.
"""

from __future__ import annotations

import asyncio
import contextvars

import httpx
import pytest
from foundation_util import closed_by_peer, open_raw, read_response

from aioweb import web
from aioweb.tooling.test_utils import unused_port

uvloop = pytest.importorskip("uvloop")

request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="-")


def _run(coro_fn) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert "uvloop" in type(runner.get_loop()).__module__
        runner.run(asyncio.wait_for(coro_fn(), 30))


def _app() -> web.Application:
    async def numbered(request):
        assert request_var.get() == "-"  # a fresh context per request
        request_var.set(request.match_info["n"])
        delay = float(request.query.get("delay", "0"))
        if delay:
            async with asyncio.timeout(5):
                await asyncio.sleep(delay)
        assert asyncio.current_task() is not None
        return web.Response(text=f"response {request_var.get()}")

    async def echo(request):
        return web.Response(body=await request.read())

    async def slow(request):
        await asyncio.sleep(0.3)
        return web.Response(text="slow done")

    app = web.Application(client_max_size=1000)
    app.router.add_get("/n/{n}", numbered)
    app.router.add_post("/echo", echo)
    app.router.add_get("/slow", slow)
    return app


async def _start(app: web.Application, **kwargs) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None, **kwargs)
    await runner.setup()
    port = unused_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


def test_pipelining_and_bodies_on_uvloop():
    async def main():
        runner, port = await _start(_app())
        try:
            reader, writer = await open_raw(port)
            batch = b"".join(
                f"GET /n/{i}{'?delay=0.01' if i % 3 == 0 else ''} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
                for i in range(20)
            )
            batch += b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            batch += b"3\r\nabc\r\n0\r\n\r\n"
            writer.write(batch)
            for i in range(20):
                assert (await read_response(reader)).body == f"response {i}".encode()
            assert (await read_response(reader)).body == b"abc"
            writer.write(b"GET / HTTP/1.1\r\n\r\n")  # no Host: 400 and close
            assert (await read_response(reader)).status == 400
            assert await closed_by_peer(reader)
            writer.close()
            async with httpx.AsyncClient() as client:
                r = await client.post(f"http://127.0.0.1:{port}/echo", content=b"x" * 1001)
                assert r.status_code == 413
        finally:
            await runner.cleanup()

    _run(main)


def test_timeouts_on_uvloop():
    async def main():
        runner, port = await _start(_app(), header_timeout=0.5, keepalive_timeout=0.5)
        try:
            reader, writer = await open_raw(port)
            writer.write(b"GET /n/1 HTTP/1.1\r\nHost: x\r\n")
            resp = await read_response(reader, timeout=5)
            assert resp.status == 408
            writer.close()
            reader, writer = await open_raw(port)
            writer.write(b"GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await read_response(reader)).status == 200
            assert await closed_by_peer(reader, timeout=4)
            writer.close()
        finally:
            await runner.cleanup()

    _run(main)


def test_graceful_shutdown_on_uvloop():
    async def main():
        runner, port = await _start(_app(), shutdown_timeout=5)
        async with httpx.AsyncClient(timeout=5) as client:
            request = asyncio.create_task(client.get(f"http://127.0.0.1:{port}/slow"))
            await asyncio.sleep(0.1)
            await runner.cleanup()
            r = await request
            assert r.text == "slow done"
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/n/1")

    _run(main)
