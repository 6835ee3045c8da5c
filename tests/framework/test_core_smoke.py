"""Smoke tests of the core over a real socket with aioweb's own test client."""

import asyncio
import contextvars

from aioweb import web

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


async def test_hello_and_json(aiohttp_client):
    async def hello(request):
        return web.Response(text="Hello, " + request.match_info.get("name", "Anonymous"))

    async def data(request):
        return web.json_response({"some": "data"})

    app = web.Application()
    app.add_routes([web.get("/", hello), web.get("/json", data), web.get("/{name}", hello)])
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert resp.status == 200
    assert await resp.text() == "Hello, Anonymous"
    resp = await client.get("/john")
    assert await resp.text() == "Hello, john"
    resp = await client.get("/json")
    assert await resp.json() == {"some": "data"}


async def test_current_task_timeout_and_contextvars(aiohttp_client):
    seen = []

    async def handler(request):
        assert asyncio.current_task() is not None
        seen.append(request_id.get())
        request_id.set(request.query.get("id", "?"))
        async with asyncio.timeout(5):
            if "wait" in request.query:
                await asyncio.sleep(0.01)
        return web.Response(text=request_id.get())

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    for i in range(3):
        resp = await client.get(f"/?id={i}")
        assert await resp.text() == str(i)
        resp = await client.get(f"/?id=w{i}&wait=1")
        assert await resp.text() == f"w{i}"
    assert seen == ["-"] * 6


async def test_timeout_cancels_handler(aiohttp_client):
    async def handler(request):
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(10)
        except TimeoutError:
            return web.Response(text="timed out")
        return web.Response(text="no")

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert await resp.text() == "timed out"
