"""HTTP/1.1 connection behaviour on a real socket: keep-alive, pipelining, framing, HEAD.

Raw sockets are used wherever the exact bytes matter (connection reuse, order, framing);
httpx, aiohttp's client and curl check that ordinary clients see the same thing.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import subprocess

import aiohttp
import httpx
import pytest
from foundation_util import closed_by_peer, exchange, open_raw, read_response

from aioweb import web


async def _echo_app() -> web.Application:
    async def index(request):
        return web.Response(text="index")

    async def echo(request):
        body = await request.read()
        return web.Response(body=body, headers={"X-Len": str(len(body))})

    async def numbered(request):
        n = int(request.match_info["n"])
        delay = float(request.query.get("delay", "0"))
        if delay:
            await asyncio.sleep(delay)
        return web.Response(text=f"response {n}")

    async def streamed(request):
        resp = web.StreamResponse()
        await resp.prepare(request)
        for part in (b"a" * 10, b"b" * 20):
            await resp.write(part)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_post("/echo", echo)
    app.router.add_get("/n/{n}", numbered)
    app.router.add_route("GET", "/stream", streamed)
    return app


async def test_keep_alive_is_the_default_in_http11(aiohttp_server):
    server = await aiohttp_server(await _echo_app())
    reader, writer = await open_raw(server.port)
    for _ in range(3):
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        resp = await read_response(reader)
        assert resp.status == 200 and resp.body == b"index"
        assert resp.version == "HTTP/1.1"
        assert resp.header("Connection") is None
    writer.close()


async def test_http10_closes_unless_keep_alive_asked(aiohttp_server):
    server = await aiohttp_server(await _echo_app())
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    resp = await read_response(reader)
    assert resp.status == 200 and resp.body == b"index"
    assert resp.header("Connection") in (None, "close")
    assert await closed_by_peer(reader)
    writer.close()

    reader, writer = await open_raw(server.port)
    for _ in range(2):
        writer.write(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        resp = await read_response(reader)
        assert resp.status == 200 and resp.body == b"index"
        assert resp.header("Connection").lower() == "keep-alive"
    # a streamed body of unknown length in 1.0 cannot be chunked: it ends with the connection
    writer.write(b"GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    resp = await read_response(reader)
    assert resp.body == b"a" * 10 + b"b" * 20
    assert resp.header("Transfer-Encoding") is None
    assert await closed_by_peer(reader)
    writer.close()


async def test_connection_close_is_honoured(aiohttp_server):
    server = await aiohttp_server(await _echo_app())
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    resp = await read_response(reader)
    assert resp.status == 200
    assert resp.header("Connection").lower() == "close"
    assert await closed_by_peer(reader)
    writer.close()
    # a request pipelined after the closing one is not answered
    reader, writer = await open_raw(server.port)
    writer.write(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    resp = await read_response(reader)
    assert resp.status == 200
    assert await reader.read() == b""
    writer.close()


async def test_twenty_pipelined_requests_answered_in_order(aiohttp_server):
    server = await aiohttp_server(await _echo_app())
    rnd = random.Random(7)
    batch = b""
    for i in range(20):
        # some handlers finish at once, some wait (in an order unlike the request order)
        delay = rnd.choice(["", "?delay=0.02", "?delay=0.001", "", "?delay=0.01"])
        batch += f"GET /n/{i}{delay} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    # and two POSTs with bodies in the middle of the batch
    batch += b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
    batch += (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    )
    reader, writer = await open_raw(server.port)
    writer.write(batch)  # one write
    for i in range(20):
        resp = await read_response(reader)
        assert resp.status == 200
        assert resp.body == f"response {i}".encode()
    assert (await read_response(reader)).body == b"hello"
    assert (await read_response(reader)).body == b"abc"
    # the connection is still usable afterwards
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).body == b"index"
    writer.close()


async def test_chunked_request_bodies(aiohttp_server):
    server = await aiohttp_server(await _echo_app())
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer-X: 1\r\n\r\n"
    )
    resp = await read_response(reader)
    assert resp.body == b"hello world" and resp.header("X-Len") == "11"
    # chunks trickling in over several writes
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    for piece in (b"3\r\nab", b"c\r\n", b"a", b"\r\n0123456789\r\n", b"0\r\n\r\n"):
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(0.005)
    resp = await read_response(reader)
    assert resp.body == b"abc" + b"0123456789"
    writer.close()

    async def gen():
        for i in range(50):
            yield bytes([65 + i % 26]) * 1000

    expected = b"".join(bytes([65 + i % 26]) * 1000 for i in range(50))
    url = f"http://127.0.0.1:{server.port}/echo"
    async with httpx.AsyncClient() as client:
        r = await client.post(url, content=gen())
        assert r.content == expected
    async with aiohttp.ClientSession() as session, session.post(url, data=gen()) as r2:
        assert await r2.read() == expected


async def test_head_is_get_without_body(aiohttp_server):
    async def page(request):
        return web.Response(text="x" * 1234, headers={"X-Custom": "1"})

    async def streamed(request):
        resp = web.StreamResponse(headers={"X-Custom": "2"})
        await resp.prepare(request)
        await resp.write(b"streamed body")
        return resp

    app = web.Application()
    app.router.add_route("GET", "/page", page)  # only GET is registered
    app.router.add_get("/stream", streamed)
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET /page HTTP/1.1\r\nHost: x\r\n\r\n")
    get = await read_response(reader)
    # HEAD then GET pipelined: a stray body byte after the HEAD response would corrupt the GET
    writer.write(b"HEAD /page HTTP/1.1\r\nHost: x\r\n\r\nGET /page HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await read_response(reader, head_request=True)
    again = await read_response(reader)
    assert head.status == 200
    assert head.header("Content-Length") == get.header("Content-Length") == "1234"
    assert head.header("Content-Type") == get.header("Content-Type")
    assert head.header("X-Custom") == "1"
    assert again.body == b"x" * 1234
    writer.write(b"HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await read_response(reader, head_request=True)
    assert head.status == 200 and head.header("X-Custom") == "2"
    assert (await read_response(reader)).status == 404
    writer.close()
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "-I", "--max-time", "5", f"http://127.0.0.1:{server.port}/page",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr
    assert stdout.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 1234\r\n" in stdout


async def test_date_and_server_headers(aiohttp_server):
    server = await aiohttp_server(await _echo_app())
    async with httpx.AsyncClient() as client:
        for path in ("/", "/missing", "/stream"):
            r = await client.get(f"http://127.0.0.1:{server.port}{path}")
            date = email.utils.parsedate_to_datetime(r.headers["Date"])
            assert date.tzinfo is not None
            assert r.headers["Date"].endswith(" GMT")
            assert "aioweb" in r.headers["Server"]


async def test_404_and_405_with_allow(aiohttp_client):
    async def handler(request):
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/thing", handler)
    app.router.add_put("/thing", handler)
    client = await aiohttp_client(app)
    resp = await client.get("/nothing")
    assert resp.status == 404
    assert "404" in await resp.text()
    resp = await client.post("/thing")
    assert resp.status == 405
    assert set(resp.headers["Allow"].split(",")) == {"GET", "HEAD", "PUT"}
    resp = await client.delete("/thing")
    assert resp.status == 405


async def test_url_for(aiohttp_client):
    seen = {}

    async def handler(request):
        router = request.app.router
        seen["plain"] = str(router["plain"].url_for())
        seen["dyn"] = str(router["dyn"].url_for(user="a b", id="7").with_query(x="1"))
        seen["regex"] = str(router["regex"].url_for(id="42"))
        seen["info"] = request.match_info.route.resource.name
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/plain", handler, name="plain")
    app.router.add_get("/u/{user}/{id}", handler, name="dyn")
    app.router.add_get(r"/r/{id:\d+}", handler, name="regex")
    resource = app.router.add_resource("/res/{x}", name="res")
    resource.add_route("GET", handler)
    client = await aiohttp_client(app)
    assert (await client.get("/plain")).status == 200
    assert seen == {
        "plain": "/plain",
        "dyn": "/u/a%20b/7?x=1",
        "regex": "/r/42",
        "info": "plain",
    }
    assert (await client.get("/res/1")).status == 200
    assert seen["info"] == "res"
    assert str(app.router["res"].url_for(x="y")) == "/res/y"


async def test_subapps_middlewares_and_request_app(aiohttp_client):
    trail = []

    @web.middleware
    async def outer(request, handler):
        trail.append("outer")
        return await handler(request)

    @web.middleware
    async def inner(request, handler):
        trail.append("inner")
        resp = await handler(request)
        resp.headers["X-Sub"] = "1"
        return resp

    main = web.Application(middlewares=[outer])
    sub = web.Application(middlewares=[inner])
    main["name"] = "main"
    sub["name"] = "sub"

    async def main_handler(request):
        return web.Response(text=request.app["name"])

    async def sub_handler(request):
        assert request.match_info.apps == (main, sub)
        assert request.match_info.current_app is sub
        url = request.app.router["sub-item"].url_for(id="9")
        return web.Response(text=f"{request.app['name']} {url}")

    main.router.add_get("/", main_handler)
    sub.router.add_get("/item/{id}", sub_handler, name="sub-item")
    resource = main.add_subapp("/sub/", sub)
    assert resource.canonical == "/sub"
    client = await aiohttp_client(main)
    resp = await client.get("/sub/item/3")
    assert await resp.text() == "sub /sub/item/9"
    assert resp.headers["X-Sub"] == "1"
    assert trail == ["outer", "inner"]
    trail.clear()
    resp = await client.get("/")
    assert await resp.text() == "main"
    assert "X-Sub" not in resp.headers
    assert trail == ["outer"]
    assert (await client.get("/sub/nothing")).status == 404


async def test_add_domain(aiohttp_server):
    main = web.Application()
    api = web.Application()
    wild = web.Application()

    async def where(request):
        return web.Response(text=f"{request.app['n']}:{request.host}")

    # As in aiohttp 3.14, domain sub-apps are tried before the main app's own routes: a host
    # that matches a domain rule is that sub-app's alone (the main app's /main is a 404 there).
    for app, n in ((main, "main"), (api, "api"), (wild, "wild")):
        app["n"] = n
    api.router.add_get("/", where)
    wild.router.add_get("/", where)
    main.router.add_get("/main", where)
    main.add_domain("api.example.com", api)
    main.add_domain("*.example.org", wild)
    server = await aiohttp_server(main)
    url = f"http://127.0.0.1:{server.port}/"
    async with httpx.AsyncClient() as client:
        r = await client.get(url, headers={"Host": "api.example.com"})
        assert r.text == "api:api.example.com"
        r = await client.get(url, headers={"Host": "api.example.com:8080"})
        assert r.text == "api:api.example.com:8080"
        r = await client.get(url, headers={"Host": "x.example.org"})
        assert r.text == "wild:x.example.org"
        r = await client.get(url, headers={"Host": "example.org"})
        assert r.status_code == 404
        r = await client.get(url, headers={"Host": "other"})
        assert r.status_code == 404
        r = await client.get(url + "main", headers={"Host": "api.example.com"})
        assert r.status_code == 404
        r = await client.get(url + "main", headers={"Host": "other"})
        assert r.text == "main:other"


async def test_normalize_path_middleware(aiohttp_client):
    async def handler(request):
        return web.Response(text=request.path_qs)

    app = web.Application(middlewares=[web.normalize_path_middleware()])
    app.router.add_get("/slash/", handler)
    app.router.add_get("/a/b", handler)
    client = await aiohttp_client(app)
    resp = await client.get("/slash?q=1", allow_redirects=False)
    assert resp.status == 308
    assert resp.headers["Location"] == "/slash/?q=1"
    resp = await client.get("/slash?q=1")
    assert await resp.text() == "/slash/?q=1"
    # "//a///b" is a network-path reference to clients: sent raw
    resp = await exchange(client.port, b"GET //a///b?x=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert resp.status == 308 and resp.header("Location") == "/a/b?x=1"
    assert (await client.get("/nowhere", allow_redirects=False)).status == 404

    app2 = web.Application(
        middlewares=[
            web.normalize_path_middleware(
                append_slash=False, remove_slash=True, redirect_class=web.HTTPMovedPermanently
            )
        ]
    )
    app2.router.add_get("/x", handler)
    client2 = await aiohttp_client(app2)
    resp = await client2.get("/x/", allow_redirects=False)
    assert resp.status == 301 and resp.headers["Location"] == "/x"


async def test_middleware_order_and_short_circuit(aiohttp_client):
    order = []

    def make(name):
        @web.middleware
        async def mw(request, handler):
            order.append(f"{name}>")
            if request.query.get("stop") == name:
                return web.Response(text=f"stopped by {name}")
            resp = await handler(request)
            order.append(f"<{name}")
            return resp

        return mw

    async def handler(request):
        order.append("handler")
        return web.Response(text="handler")

    app = web.Application(middlewares=[make("a"), make("b")])
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "handler"
    assert order == ["a>", "b>", "handler", "<b", "<a"]
    order.clear()
    assert await (await client.get("/?stop=b")).text() == "stopped by b"
    assert order == ["a>", "b>", "<a"]


async def test_signals_and_cleanup_ctx_order(aiohttp_client):
    events = []

    async def on_startup(app):
        events.append("startup")

    async def on_shutdown(app):
        events.append("shutdown")

    async def on_cleanup(app):
        events.append("cleanup")

    async def ctx(app):
        events.append("ctx-enter")
        yield
        events.append("ctx-exit")

    async def on_prepare(request, response):
        response.headers["X-Prepared"] = request.path

    async def handler(request):
        return web.Response(text="ok")

    app = web.Application()
    app.on_startup.append(on_startup)
    app.cleanup_ctx.append(ctx)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.on_response_prepare.append(on_prepare)
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    # aiohttp's order: cleanup contexts are registered first in on_startup/on_cleanup
    assert events == ["ctx-enter", "startup"]
    resp = await client.get("/")
    assert resp.headers["X-Prepared"] == "/"
    resp = await client.get("/missing")  # also for error responses
    assert resp.headers["X-Prepared"] == "/missing"
    await client.close()
    assert events == ["ctx-enter", "startup", "shutdown", "ctx-exit", "cleanup"]


async def test_frozen_app_rejects_new_routes(aiohttp_client):
    async def handler(request):
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    assert app.frozen
    for add in (
        lambda: app.router.add_get("/late", handler),
        lambda: app.router.add_route("*", "/late", handler),
        lambda: app.add_routes([web.get("/late", handler)]),
        lambda: app.add_subapp("/late", web.Application()),
        lambda: app.on_startup.append(handler),
        lambda: app.middlewares.append(handler),
    ):
        try:
            add()
        except RuntimeError:
            pass
        else:
            raise AssertionError("a frozen application accepted a change")
    assert (await client.get("/late")).status == 404
    with pytest.warns(DeprecationWarning):  # as aiohttp: state changes after start warn
        app["late"] = 1


async def test_client_max_size_gives_413(aiohttp_client):
    async def read(request):
        return web.Response(text=str(len(await request.read())))

    async def post(request):
        return web.Response(text=str(len(await request.post())))

    app = web.Application(client_max_size=1000)
    app.router.add_post("/read", read)
    app.router.add_post("/post", post)
    client = await aiohttp_client(app)
    assert await (await client.post("/read", data=b"x" * 1000)).text() == "1000"
    resp = await client.post("/read", data=b"x" * 1001)
    assert resp.status == 413
    resp = await client.post("/post", data={"a": "x" * 2000})
    assert resp.status == 413

    async def chunks():
        for _ in range(10):
            yield b"y" * 200

    async with httpx.AsyncClient() as hc:  # chunked: the size is known only while reading
        r = await hc.post(str(client.make_url("/read")), content=chunks())
        assert r.status_code == 413


async def test_request_attributes(aiohttp_server):
    seen = {}

    async def handler(request):
        request["stored"] = 1
        # (cloned before the body is read: afterwards clone() raises, as in aiohttp 3.14)
        clone = request.clone(rel_url="/other?z=1", method="put", headers={"X-Test": "2"})
        seen.update(
            method=request.method,
            path=request.path,
            raw_path=request.raw_path,
            rel_url=str(request.rel_url),
            url=str(request.url),
            query=dict(request.query),
            query_all=request.query.getall("a"),
            query_string=request.query_string,
            path_qs=request.path_qs,
            header=request.headers["X-Test"],
            raw_headers=(b"X-Test", b"1") in request.raw_headers,
            cookies=dict(request.cookies),
            match_info=dict(request.match_info),
            app=request.app is app,
            content_type=request.content_type,
            charset=request.charset,
            content_length=request.content_length,
            can_read_body=request.can_read_body,
            body_exists=request.body_exists,
            text=await request.text(),
            remote=request.remote,
            host=request.host,
            scheme=request.scheme,
            secure=request.secure,
            version=tuple(request.version),
            keep_alive=request.keep_alive,
            ims=request.if_modified_since,
            ius=request.if_unmodified_since,
            if_range=request.if_range,
            inm=request.if_none_match,
        )
        seen["storage"] = dict(request)
        seen["clone"] = (clone.method, clone.path, clone.query["z"], clone.headers["X-Test"])
        seen["clone_storage"] = clone["stored"]
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/p/{name}", handler)
    server = await aiohttp_server(app)
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"http://127.0.0.1:{server.port}/p/caf%C3%A9?a=1&a=2&b=%20x",
            headers={
                "X-Test": "1",
                "Cookie": "sid=abc; theme=dark",
                "Content-Type": "text/plain; charset=latin-1",
                "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT",
                "If-Unmodified-Since": "garbage",
                "If-None-Match": '"a", W/"b"',
            },
            content="olé".encode("latin-1"),
        )
        assert r.status_code == 200, r.text
    assert seen["method"] == "POST"
    assert seen["path"] == "/p/café"
    assert seen["raw_path"] == "/p/caf%C3%A9?a=1&a=2&b=%20x"
    assert seen["rel_url"] == "/p/caf%C3%A9?a=1&a=2&b=%20x"
    assert seen["url"] == f"http://127.0.0.1:{server.port}/p/caf%C3%A9?a=1&a=2&b=%20x"
    assert seen["query"] == {"a": "1", "b": " x"}
    assert seen["query_all"] == ["1", "2"]
    assert seen["query_string"] == "a=1&a=2&b= x"
    assert seen["path_qs"] == "/p/caf%C3%A9?a=1&a=2&b=%20x"  # str(rel_url), as aiohttp
    assert seen["header"] == "1" and seen["raw_headers"]
    assert seen["cookies"] == {"sid": "abc", "theme": "dark"}
    assert seen["match_info"] == {"name": "café"}
    assert seen["app"]
    assert seen["content_type"] == "text/plain" and seen["charset"] == "latin-1"
    assert seen["content_length"] == 3
    assert seen["can_read_body"] and seen["body_exists"]
    assert seen["text"] == "olé"
    assert seen["remote"] == "127.0.0.1"
    assert seen["host"] == f"127.0.0.1:{server.port}"
    assert seen["scheme"] == "http" and seen["secure"] is False
    assert seen["version"] == (1, 1) and seen["keep_alive"] is True
    assert seen["ims"].year == 1994 and seen["ims"].tzinfo is not None
    assert seen["ius"] is None and seen["if_range"] is None
    assert [e.value for e in seen["inm"]] == ["a", "b"]
    assert [e.is_weak for e in seen["inm"]] == [False, True]
    assert seen["storage"] == {"stored": 1}
    assert seen["clone"] == ("PUT", "/other", "1", "2")
    assert seen["clone_storage"] == 1


async def test_cookies(aiohttp_client):
    async def login(request):
        resp = web.Response(text="in")
        resp.set_cookie("sid", "s3cr3t", httponly=True, path="/", max_age=3600, samesite="Lax")
        resp.set_cookie("theme", "dark")
        return resp

    async def whoami(request):
        return web.json_response(dict(request.cookies))

    async def logout(request):
        resp = web.Response(text="out")
        resp.del_cookie("sid")
        return resp

    app = web.Application()
    app.router.add_get("/login", login)
    app.router.add_get("/me", whoami)
    app.router.add_get("/logout", logout)
    client = await aiohttp_client(app)
    resp = await client.get("/login")
    cookies = resp.headers.getall("Set-Cookie")
    sid = next(c for c in cookies if c.startswith("sid="))
    assert "HttpOnly" in sid and "Max-Age=3600" in sid and "SameSite=Lax" in sid
    assert "Path=/" in sid
    assert await (await client.get("/me")).json() == {"sid": "s3cr3t", "theme": "dark"}
    resp = await client.get("/logout")
    gone = resp.headers["Set-Cookie"]
    assert gone.startswith("sid=") and ("Max-Age=0" in gone or "1970" in gone)
    assert await (await client.get("/me")).json() == {"theme": "dark"}
    # aiohttp's own client agrees
    jar = aiohttp.CookieJar(unsafe=True)  # cookies from an IP address
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        async with session.get(str(client.make_url("/login"))):
            pass
        async with session.get(str(client.make_url("/me"))) as r:
            assert await r.json() == {"sid": "s3cr3t", "theme": "dark"}


async def test_trailer_fields_never_become_request_headers(aiohttp_server):
    """RFC 9112 §7.1.2: trailers are not merged into the header section."""

    async def handler(request):
        body = await request.read()
        return web.json_response(
            {
                "body": body.decode(),
                "headers": sorted(request.headers),
                "raw": sorted(k.decode() for k, _v in request.raw_headers),
                "host": request.host,
            }
        )

    app = web.Application()
    app.router.add_post("/", handler)
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: good\r\nTransfer-Encoding: chunked\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(0.02)
    writer.write(b"3\r\nabc\r\n0\r\nX-Injected: yes\r\nHost: evil\r\nAuthorization: x\r\n\r\n")
    resp = await read_response(reader)
    assert resp.status == 200
    assert json.loads(resp.body) == {
        "body": "abc",
        "headers": ["Host", "Transfer-Encoding"],
        "raw": ["Host", "Transfer-Encoding"],
        "host": "good",
    }
    writer.close()


async def test_full_duplex_streaming_echo(aiohttp_server):
    """The response streams while the request body is still arriving (chunked both ways)."""

    async def echo(request):
        resp = web.StreamResponse()
        await resp.prepare(request)
        async for chunk in request.content.iter_any():
            await resp.write(chunk.upper())
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_get("/", lambda request: web.Response(text="index"))
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200 ") and b"Transfer-Encoding: chunked" in head
    assert await asyncio.wait_for(reader.readuntil(b"HELLO\r\n"), 5)  # echoed before the end
    writer.write(b"5\r\nworld\r\n")
    assert await asyncio.wait_for(reader.readuntil(b"WORLD\r\n"), 5)
    writer.write(b"0\r\n\r\n")
    assert await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 5)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # and the connection is kept alive
    assert (await read_response(reader)).body == b"index"
    writer.close()


async def test_content_length_is_never_overrun_or_left_short_on_a_kept_connection(aiohttp_server):
    """A body longer than its Content-Length is cut (as aiohttp); a shorter one ends the
    connection.  Either way the client never reads one response's bytes as the next one."""

    async def more(request):
        resp = web.StreamResponse()
        resp.content_length = 3
        await resp.prepare(request)
        await resp.write(b"abc" + b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfake")
        return resp

    async def less(request):
        resp = web.StreamResponse()
        resp.content_length = 10
        await resp.prepare(request)
        await resp.write(b"abc")
        await resp.write_eof()
        return resp

    async def mismatch(request):
        return web.Response(body=b"abc", headers={"Content-Length": "10"})

    app = web.Application()
    app.router.add_get("/more", more)
    app.router.add_get("/less", less)
    app.router.add_get("/mismatch", mismatch)
    app.router.add_get("/", lambda request: web.Response(text="index"))
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET /more HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).body == b"abc"
    assert (await read_response(reader)).body == b"index"  # not the "fake" response
    writer.close()
    for path in (b"/less", b"/mismatch"):
        reader, writer = await open_raw(server.port)
        writer.write(
            b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert b"Content-Length: 10" in head
        assert await asyncio.wait_for(reader.read(), 5) == b"abc"  # then closed: no desync
        writer.close()


async def test_hand_set_transfer_encoding_never_breaks_framing(aiohttp_server):
    async def chunked_and_length(request):
        return web.Response(body=b"abc", headers={"Transfer-Encoding": "chunked"})

    async def gzip_coding(request):
        return web.Response(body=b"abc", headers={"Transfer-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/chunked", chunked_and_length)
    app.router.add_get("/gzip", gzip_coding)
    app.router.add_get("/", lambda request: web.Response(text="index"))
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    writer.write(
        b"GET /chunked HTTP/1.1\r\nHost: x\r\n\r\nGET /gzip HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    first = await read_response(reader)
    assert first.body == b"abc" and first.header("Content-Length") is None  # chunked only
    second = await read_response(reader)
    assert second.body == b"abc" and second.header("Transfer-Encoding") is None
    assert (await read_response(reader)).body == b"index"
    writer.close()
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{server.port}/chunked")
        assert r.content == b"abc"


@pytest.mark.parametrize("status", [99, 1000, -1, 100, 199])
async def test_impossible_status_codes_fail_the_request_cleanly(aiohttp_server, status):
    """A malformed status line, or an interim 1xx sent as the final answer, is a 500:
    a client would otherwise misparse it or wait for the real response forever."""

    async def handler(request):
        return web.Response(status=status, text="body")

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 500
    writer.close()


async def test_ignored_upgrade_keeps_the_body_and_the_connection(aiohttp_server):
    """``Upgrade: h2c`` (curl --http2, Java's RestClient) is ignored, as RFC 9110 §7.8
    allows: the request is served as HTTP/1.1 with its body, and pipelining goes on."""

    async def echo(request):
        return web.Response(body=b"got " + await request.read())

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_get("/", lambda request: web.Response(text="index"))
    server = await aiohttp_server(app)
    h2c = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n"
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\n" + h2c + b"Content-Length: 5\r\n\r\nhello"
        b"GET / HTTP/1.1\r\nHost: x\r\n" + h2c + b"\r\n"
        b"POST /echo HTTP/1.1\r\nHost: x\r\n" + h2c + b"Transfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
    )
    assert (await read_response(reader)).body == b"got hello"
    assert (await read_response(reader)).body == b"index"
    assert (await read_response(reader)).body == b"got abc"
    # a body arriving after the head, in pieces
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\n" + h2c + b"Content-Length: 6\r\n\r\nab")
    await writer.drain()
    await asyncio.sleep(0.02)
    writer.write(b"cdef")
    assert (await read_response(reader)).body == b"got abcdef"
    writer.close()
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "--max-time", "5", "--http2", "-d", "data",
        f"http://127.0.0.1:{server.port}/echo",
        stdout=subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert out == b"got data"


@pytest.mark.parametrize("merge_slashes", [True, False])
async def test_normalize_path_never_redirects_off_site(aiohttp_server, merge_slashes):
    """No ``Location: //host`` or ``/\\host`` (open redirect, aiohttp CVE-2021-21330 class)."""

    async def handler(request):
        return web.Response(text="x")

    app = web.Application(middlewares=[web.normalize_path_middleware(merge_slashes=merge_slashes)])
    app.router.add_get("/{tail:.+}/", handler)
    server = await aiohttp_server(app)
    for target in (b"//evil.example", b"///evil.example", b"/\\evil.example", b"/\\\\evil.example"):
        resp = await exchange(server.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert resp.status in (308, 404), (target, resp.status)
        location = resp.header("Location") or "/"
        assert location.startswith("/") and not location.startswith("//"), (target, location)
        assert "\\" not in location, (target, location)
    # the query is carried over as sent, still encoded (no CR/LF or '#' decoded into it)
    resp = await exchange(server.port, b"GET /a?x=%20y&z=%0D%0A%23 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert resp.status == 308 and resp.header("Location") == "/a/?x=%20y&z=%0D%0A%23"
