"""The server-side examples of the aiohttp cheat sheet and FAQ seeds, run on aioweb.

Each example is kept as printed, changed only to the aioweb import (and, where an example
loops forever, given a way to stop); each is exercised on a real socket by a real client.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest

from aioweb import web
from aioweb.tooling.test_utils import unused_port


async def handle(request):
    name = request.match_info.get("name", "Anonymous")
    text = "Hello, " + name
    return web.Response(text=text)


# -- cheat sheet --------------------------------------------------------------------------


async def test_cheatsheet_hello(aiohttp_client):
    app = web.Application()
    app.add_routes([web.get("/", handle), web.get("/{name}", handle)])
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "Hello, Anonymous"
    assert await (await client.get("/bob")).text() == "Hello, bob"


async def test_cheatsheet_run_app_as_coroutine():
    stop = asyncio.Event()

    async def run_app(app, bind_host="", bind_port=8080):
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, bind_host, bind_port)
        await site.start()
        while not stop.is_set():  # the seed sleeps forever; a test needs an end
            await asyncio.sleep(0.01)
        await runner.cleanup()

    app = web.Application()
    app.add_routes([web.get("/", handle)])
    port = unused_port()
    task = asyncio.create_task(run_app(app, "127.0.0.1", port))
    url = f"http://127.0.0.1:{port}/"
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                r = await client.get(url)
                break
            except httpx.ConnectError:
                await asyncio.sleep(0.01)
        assert r.status_code == 200 and r.text == "Hello, Anonymous"
    stop.set()
    await asyncio.wait_for(task, 5)
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url)


async def test_cheatsheet_responses(aiohttp_client):
    html_page = "<html><body>hi</body></html>"

    async def redirect(request):
        raise web.HTTPFound("/destination")

    async def destination(request):
        return web.Response(text="arrived")

    async def page(request):
        return web.Response(text=html_page, content_type="text/html")

    async def failing(request):
        raise web.HTTPInternalServerError(text="Something failed")

    async def data(request):
        data = {"some": "data"}
        return web.json_response(data)

    async def dumped(request):
        return web.json_response(
            {"b": 1, "a": [1, 2]}, dumps=lambda o: json.dumps(o, sort_keys=True, indent=1)
        )

    async def full(request):
        return web.Response(
            body=b"x",
            status=201,
            reason="Made",
            headers={"X-A": "1"},
            content_type="text/csv",
            charset="latin-1",
        )

    app = web.Application()
    app.add_routes(
        [
            web.get("/redirect", redirect),
            web.get("/destination", destination),
            web.get("/page", page),
            web.get("/fail", failing),
            web.get("/data", data),
            web.get("/dumped", dumped),
            web.get("/full", full),
        ]
    )
    client = await aiohttp_client(app)
    resp = await client.get("/redirect", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"] == "/destination"
    resp = await client.get("/redirect")
    assert await resp.text() == "arrived"
    resp = await client.get("/page")
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert await resp.text() == html_page
    resp = await client.get("/fail")
    assert resp.status == 500 and await resp.text() == "Something failed"
    resp = await client.get("/data")
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert await resp.json() == {"some": "data"}
    resp = await client.get("/dumped")
    assert await resp.text() == json.dumps({"b": 1, "a": [1, 2]}, sort_keys=True, indent=1)
    resp = await client.get("/full")
    assert resp.status == 201 and resp.reason == "Made"
    assert resp.headers["Content-Type"] == "text/csv; charset=latin-1"
    assert resp.headers["X-A"] == "1"


async def test_cheatsheet_routing_styles(aiohttp_client):
    async def handle(request):
        return web.json_response({"foo": "bar", **request.match_info})

    routes = web.RouteTableDef()

    @routes.get("/get")
    async def handle_get(request):
        return web.Response(text="get")

    @routes.post("/post")
    async def handle_post(request):
        return web.Response(text="post " + (await request.text()))

    class MyView(web.View):
        async def get(self):
            return web.Response(text="view get " + self.request.path)

        async def post(self):
            return web.Response(text="view post")

    app = web.Application()
    app.add_routes([web.get(r"/num/{name:\d+}", handle)])
    app.router.add_routes(routes)
    app.router.add_view("/view", MyView)
    client = await aiohttp_client(app)
    assert await (await client.get("/num/42")).json() == {"foo": "bar", "name": "42"}
    assert (await client.get("/num/x")).status == 404
    assert await (await client.get("/get")).text() == "get"
    assert await (await client.post("/post", data=b"body")).text() == "post body"
    assert await (await client.get("/view")).text() == "view get /view"
    assert await (await client.post("/view")).text() == "view post"
    resp = await client.put("/view")
    assert resp.status == 405
    # HEAD is answered by get() (automatic HEAD, as for routes), so Allow lists it
    assert set(resp.headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}
    resp = await client.head("/view")
    assert resp.status == 200 and await resp.read() == b""


async def test_cheatsheet_app_storage_and_login(aiohttp_client):
    async def handler(request):
        data = request.app["my_private_key"]
        return web.Response(text=data)

    async def do_login(request):
        data = await request.post()
        login = data["login"]
        password = data["password"]
        return web.Response(text=f"{login}:{password}")

    async def do_login_json(request):
        data = await request.json()
        return web.Response(text=f"{data['login']}:{data['password']}")

    app = web.Application()
    app["my_private_key"] = "secret data"
    app.router.add_get("/", handler)
    app.router.add_post("/login", do_login)
    app.router.add_post("/login-json", do_login_json)
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "secret data"
    resp = await client.post("/login", data={"login": "ann", "password": "p&ss=w ord"})
    assert await resp.text() == "ann:p&ss=w ord"
    resp = await client.post("/login-json", json={"login": "bob", "password": "x"})
    assert await resp.text() == "bob:x"
    # the same with two independent clients
    async with aiohttp.ClientSession() as session:
        url = str(client.make_url("/login"))
        async with session.post(url, data={"login": "é", "password": "1"}) as r:
            assert await r.text() == "é:1"
    async with httpx.AsyncClient() as hc:
        r = await hc.post(str(client.make_url("/login-json")), json={"login": "c", "password": "2"})
        assert r.text == "c:2"


# -- FAQ ----------------------------------------------------------------------------------


async def test_faq_route_table_def(aiohttp_client):
    routes = web.RouteTableDef()

    @routes.get("/get")
    async def handle_get(request):
        return web.Response(text="got")

    @routes.post("/post")
    async def handle_post(request):
        return web.Response(text="posted")

    app = web.Application()
    app.router.add_routes(routes)
    client = await aiohttp_client(app)
    assert await (await client.get("/get")).text() == "got"
    assert await (await client.post("/post")).text() == "posted"
    assert (await client.get("/post")).status == 405


async def test_faq_prefix_route(aiohttp_client):
    async def sink_handler(request):
        return web.Response(text=f"{request.method} {request.match_info['tail']}")

    app = web.Application()
    app.router.add_route("*", "/path/to/{tail:.+}", sink_handler)
    client = await aiohttp_client(app)
    assert await (await client.get("/path/to/a/b/c")).text() == "GET a/b/c"
    assert await (await client.request("OPTIONS", "/path/to/x")).text() == "OPTIONS x"
    assert (await client.get("/path/to/")).status == 404


class DB:
    def __init__(self) -> None:
        self.pongs = 0
        self.closed = False

    async def cursor(self) -> DB:
        return self

    async def execute(self, sql: str) -> None:
        assert sql == "SELECT 42"

    def inc_pong(self) -> None:
        self.pongs += 1


async def create_connection(user: str, password: str) -> DB:
    return DB()


db_key = web.AppKey("db_key", DB)


async def test_faq_app_key_database(aiohttp_client):
    async def go(request):
        db = request.app[db_key]
        cursor = await db.cursor()
        await cursor.execute("SELECT 42")
        # ...
        return web.Response(status=200, text="ok")

    async def init_app():
        app = web.Application()
        db = await create_connection(user="user", password="123")
        app[db_key] = db
        app.router.add_get("/", go)
        return app

    app = await init_app()
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert resp.status == 200 and await resp.text() == "ok"
    assert "db_key" in repr(db_key) and "DB" in repr(db_key)


async def test_faq_request_storage_from_middleware(aiohttp_client):
    @web.middleware
    async def store(request, handler):
        request["unique_key"] = "from middleware"
        resp = await handler(request)
        resp["seen"] = True  # responses are dict-like too
        return resp

    async def handler(request):
        return web.Response(text=request["unique_key"])

    app = web.Application(middlewares=[store])
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "from middleware"


subapp_key = web.AppKey("subapp_key", web.Application)


async def test_faq_subapp_shares_db_through_cleanup_ctx(aiohttp_client, recwarn):
    events = []

    class create_db:
        async def __aenter__(self):
            events.append("open")
            return DB()

        async def __aexit__(self, *exc):
            events.append("close")

    mainapp = web.Application()
    subapp = web.Application()

    async def sub_handler(request):
        db = request.app[db_key]
        assert request.app is subapp
        return web.Response(text=f"sub sees db {type(db).__name__}")

    subapp.router.add_get("/", sub_handler)

    async def db_context(app: web.Application) -> AsyncIterator[None]:
        async with create_db() as db:
            mainapp[db_key] = mainapp[subapp_key][db_key] = db
            yield

    mainapp[subapp_key] = subapp
    mainapp.add_subapp("/prefix", subapp)
    mainapp.cleanup_ctx.append(db_context)
    client = await aiohttp_client(mainapp)
    assert await (await client.get("/prefix/")).text() == "sub sees db DB"
    assert events == ["open"]
    # startup hooks run before the app is frozen: filling storage there is not deprecated
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]
    await client.close()
    assert events == ["open", "close"]


async def test_faq_work_after_write_eof(aiohttp_client):
    db = DB()
    db_done = asyncio.Event()

    async def ping_handler(request):
        """Send PONG and increase DB counter."""
        # explicitly send the response
        resp = web.json_response({"message": "PONG"})
        await resp.prepare(request)
        await resp.write_eof()
        # the client has its answer while we are still working
        await asyncio.sleep(0.05)
        # increase the pong count
        request.app[db_key].inc_pong()
        db_done.set()
        return resp

    app = web.Application()
    app[db_key] = db
    app.router.add_get("/ping", ping_handler)
    client = await aiohttp_client(app)
    resp = await client.get("/ping")
    assert await resp.json() == {"message": "PONG"}
    assert db.pongs == 0  # answered before the follow-up work ran
    await asyncio.wait_for(db_done.wait(), 5)
    assert db.pongs == 1
    # the connection is still good for the next request
    resp = await client.get("/ping")
    assert await resp.json() == {"message": "PONG"}


async def test_faq_misbehaved_cached_response_fails_cleanly(aiohttp_client, caplog):
    def misbehaved_middleware():
        # don't do this!
        cached = web.Response(status=200, text="Hi, I am cached!")

        async def middleware(request, handler):
            # ignoring response for the sake of this example
            _res = handler(request)
            _res.close()  # (the seed leaves it unawaited; closed here to keep warnings quiet)
            return cached

        return middleware

    async def handler(request):
        return web.Response(text="fresh")

    app = web.Application(middlewares=[misbehaved_middleware()])
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        resp = await asyncio.wait_for(client.get("/"), 5)
        assert resp.status == 200 and await resp.text() == "Hi, I am cached!"
        for _ in range(3):  # the reused response: a clean failure, never a hang
            resp = await asyncio.wait_for(client.get("/"), 5)
            assert resp.status == 500
            body = await resp.text()
            assert "Traceback" not in body
    assert any(r.levelno >= logging.ERROR for r in caplog.records)
    # the server is still healthy for other clients
    async with httpx.AsyncClient(timeout=5) as hc:
        r = await hc.get(str(client.make_url("/")))
        assert r.status_code == 500
