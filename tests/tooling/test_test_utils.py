"""The test utilities themselves: mocked requests, test servers, the test client, fixtures."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from aioweb import web
from aioweb.tooling.test_utils import (
    RawTestServer,
    TestClient,
    TestServer,
    make_mocked_request,
    unused_port,
)


async def test_make_mocked_request_drives_a_handler():
    app = web.Application()
    app["greeting"] = "hi"

    async def handler(request):
        resp = web.Response(text=f"{request.app['greeting']} {request.match_info['name']}")
        resp.set_cookie("seen", request.headers["X-Who"])
        return resp

    req = make_mocked_request(
        "get", "/p/x?q=1", headers={"X-Who": "me", "Host": "example.com"},
        match_info={"name": "x"}, app=app,
    )  # fmt: skip
    assert req.method == "GET"
    assert req.path == "/p/x" and req.query["q"] == "1"
    assert req.host == "example.com"
    assert req.url.host == "example.com"
    assert req.remote == "127.0.0.1"
    resp = await handler(req)
    assert resp.text == "hi x"
    await resp.prepare(req)
    await resp.write_eof()
    written = b"".join(req.transport.written)
    assert written.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Set-Cookie: seen=me" in written
    assert written.endswith(b"hi x")


async def test_make_mocked_request_for_a_middleware():
    @web.middleware
    async def auth(request, handler):
        if request.headers.get("Authorization") != "Bearer ok":
            raise web.HTTPUnauthorized()
        return await handler(request)

    async def handler(request):
        return web.Response(text="in")

    with pytest.raises(web.HTTPUnauthorized):
        await auth(make_mocked_request("GET", "/"), handler)
    resp = await auth(make_mocked_request("GET", "/", {"Authorization": "Bearer ok"}), handler)
    assert resp.text == "in"
    old = make_mocked_request("GET", "/", version=web.HttpVersion10, closing=True)
    assert old.version == web.HttpVersion10 and not old.keep_alive


async def test_test_server_and_test_client_by_hand():
    async def handler(request):
        return web.json_response({"path": request.path, "q": dict(request.query)})

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    async with TestServer(app) as server:
        assert server.started and not server.closed
        assert server.make_url("/a").host == "127.0.0.1"
        async with TestClient(server) as client:
            assert client.app is app and client.server is server
            resp = await client.get("/x/y", params={"k": "v"})
            assert await resp.json() == {"path": "/x/y", "q": {"k": "v"}}
            async with client.get("/ctx") as resp2:  # context manager form
                assert resp2.status == 200
            # an independent client reaches the same socket
            async with httpx.AsyncClient() as hc:
                r = await hc.get(str(server.make_url("/z")))
                assert r.json()["path"] == "/z"
    assert server.closed


async def test_test_server_on_a_chosen_port():
    port = unused_port()

    async def handler(request):
        return web.Response(text="p")

    app = web.Application()
    app.router.add_get("/", handler)
    async with TestServer(app, port=port) as server:
        assert server.port == port
        async with httpx.AsyncClient() as hc:
            assert (await hc.get(f"http://127.0.0.1:{port}/")).text == "p"


async def test_raw_test_server():
    async def handler(request):
        body = await request.read()
        return web.Response(text=f"raw {request.method} {request.path_qs} {body.decode()}")

    async with RawTestServer(handler) as server, TestClient(server) as client:
        resp = await client.post("/x?y=1", data=b"body")
        assert await resp.text() == "raw POST /x?y=1 body"


async def test_test_client_cookies_and_redirects(aiohttp_client):
    async def login(request):
        resp = web.HTTPFound("/home")
        resp.set_cookie("sid", "abc")
        raise resp

    async def home(request):
        return web.Response(text=f"home sid={request.cookies.get('sid')}")

    async def hop(request):
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text="end")
        raise web.HTTPSeeOther(f"/hop/{n - 1}")

    async def post_redirect(request):
        raise web.HTTPFound("/method")

    async def method(request):
        return web.Response(text=request.method)

    app = web.Application()
    app.router.add_get("/login", login)
    app.router.add_get("/home", home)
    app.router.add_get("/hop/{n}", hop)
    app.router.add_post("/post-redirect", post_redirect)
    app.router.add_route("*", "/method", method)
    client = await aiohttp_client(app)
    resp = await client.get("/login")
    assert resp.status == 200
    assert await resp.text() == "home sid=abc"
    assert "sid" in {c.key for c in client.session.cookie_jar}  # aiohttp: no client.cookie_jar
    # aiohttp's jar: a cookie given without response_url is a shared one, and the host's own
    # "sid" (set by the server above) is still sent in preference; replace the host's cookie
    client.session.cookie_jar.update_cookies({"sid": "set-by-test"}, client.make_url("/"))
    assert await (await client.get("/home")).text() == "home sid=set-by-test"
    resp = await client.get("/hop/5")
    assert await resp.text() == "end"
    assert len(resp.history) == 5
    resp = await client.get("/hop/2", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/hop/1"
    resp = await client.post("/post-redirect", data=b"x")
    assert await resp.text() == "GET"  # 302 after POST is followed with GET


async def test_fixture_aliases(
    aiohttp_client, aiohttp_server, aiohttp_raw_server, aiohttp_unused_port, aioweb_client
):
    async def handler(request):
        return web.Response(text="alias")

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aiohttp_server(app)
    client = await aiohttp_client(server)
    assert await (await client.get("/")).text() == "alias"
    raw = await aiohttp_raw_server(handler)
    client2 = await aioweb_client(raw)
    assert await (await client2.get("/anything")).text() == "alias"
    port = aiohttp_unused_port()
    assert isinstance(port, int) and port > 0


async def test_client_fixture_server_kwargs(aiohttp_client):
    async def handler(request):
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app, server_kwargs={"max_line_size": 50})
    assert (await client.get("/")).status == 200
    assert (await client.get("/" + "a" * 60)).status == 414


@pytest.fixture
async def prepared_client(aiohttp_client):
    """An ``async def`` fixture, as aiohttp test suites write them."""

    async def handler(request):
        await asyncio.sleep(0)
        return web.Response(text="from fixture")

    app = web.Application()
    app.router.add_get("/", handler)
    return await aiohttp_client(app)


async def test_async_fixture(prepared_client):
    assert await (await prepared_client.get("/")).text() == "from fixture"


def test_sync_test_with_loop_fixture(loop, aiohttp_client):
    async def handler(request):
        return web.Response(text="sync")

    app = web.Application()
    app.router.add_get("/", handler)

    async def go():
        client = await aiohttp_client(app)
        return await (await client.get("/")).text()

    assert loop.run_until_complete(go()) == "sync"
