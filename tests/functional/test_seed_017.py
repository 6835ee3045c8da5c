"""Every server-side example of aiohttp 0.17's "HTTP Server Usage" page, run on aioweb.

The examples are as printed on that page, changed only to ``async def``/``await`` and to
the aioweb import; each runs on a real socket and is checked with a real client.
"""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import httpx

import aioweb
from aioweb import web


async def hello(request):
    return web.Response(body=b"Hello, world")


async def variable_handler(request):
    return web.Response(text="Hello, {}".format(request.match_info["name"]))


async def test_run_a_simple_web_server_make_handler_lifecycle():
    """``make_handler()`` + ``loop.create_server`` + ``finish_connections`` + ``app.finish()``."""
    loop = asyncio.get_running_loop()
    finished = []

    async def on_cleanup(app):
        finished.append(True)

    app = web.Application()
    app.router.add_route("GET", "/", hello)
    app.on_cleanup.append(on_cleanup)

    handler = app.make_handler()
    srv = await loop.create_server(handler, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/") as resp:
        assert resp.status == 200
        assert await resp.read() == b"Hello, world"
    await handler.finish_connections(1.0)
    srv.close()
    await srv.wait_closed()
    await app.finish()
    assert finished == [True]


async def test_handler_object_is_any_callable(aiohttp_client):
    class Handler:
        async def __call__(self, request):
            return web.Response(body=b"Hello, world")

    handler = Handler()
    app = web.Application()
    app.router.add_route("GET", "/", handler)
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert await resp.read() == b"Hello, world"


async def test_variable_routes(aiohttp_client):
    app = web.Application()
    app.router.add_route("GET", "/{name}", variable_handler)
    client = await aiohttp_client(app)
    resp = await client.get("/john")
    assert await resp.text() == "Hello, john"
    resp = await client.get("/a/b")
    assert resp.status == 404


async def test_regex_routes(aiohttp_client):
    app = web.Application()
    app.router.add_route("GET", r"/{name:\d+}", variable_handler)
    client = await aiohttp_client(app)
    resp = await client.get("/123")
    assert await resp.text() == "Hello, 123"
    resp = await client.get("/abc")
    assert resp.status == 404


async def test_named_routes_and_legacy_url(aiohttp_client):
    seen = {}

    async def handler(request):
        seen["root"] = request.app.router["root"].url(query="?a=b&c=d")
        seen["handler"] = request.app.router["handler"].url(
            parts={"user": "john_doe"}, query="?a=b"
        )
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("GET", "/root", handler, name="root")
    app.router.add_route("GET", r"/{user}/info", variable_handler, name="handler")
    client = await aiohttp_client(app)
    resp = await client.get("/root")
    assert resp.status == 200
    assert seen == {"root": "/root?a=b&c=d", "handler": "/john_doe/info?a=b"}
    # the modern spelling of the same thing
    assert str(app.router["handler"].url_for(user="x y")) == "/x%20y/info"


async def test_class_based_handlers(aiohttp_client):
    class Handler:
        def __init__(self):
            pass

        def handle_intro(self, request):
            return web.Response(body=b"Hello, world")

        async def handle_greeting(self, request):
            name = request.match_info.get("name", "Anonymous")
            txt = "Hello, {}".format(name)  # noqa: UP032 (as in the seed)
            return web.Response(text=txt)

    handler = Handler()
    app = web.Application()
    app.router.add_route("GET", "/intro", handler.handle_intro)
    app.router.add_route("GET", "/greet/{name}", handler.handle_greeting)
    client = await aiohttp_client(app)
    resp = await client.get("/intro")
    assert await resp.read() == b"Hello, world"
    resp = await client.get("/greet/ann")
    assert await resp.text() == "Hello, ann"


async def test_wildcard_method(aiohttp_client):
    async def handler(request):
        return web.Response(text=request.method)

    app = web.Application()
    app.router.add_route("*", "/path", handler)
    client = await aiohttp_client(app)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"):
        resp = await client.request(method, "/path")
        assert resp.status == 200
        assert await resp.text() == method
    resp = await client.head("/path")
    assert resp.status == 200
    assert await resp.read() == b""


async def test_accept_chooser(aiohttp_client):
    class AcceptChooser:
        def __init__(self):
            self._accepts = {}

        async def do_route(self, request):
            for accept in request.headers.getall("ACCEPT", []):
                acceptor = self._accepts.get(accept)
                if acceptor is not None:
                    return await acceptor(request)
            raise web.HTTPNotAcceptable()

        def reg_acceptor(self, accept, handler):
            self._accepts[accept] = handler

    async def handle_json(request):
        return web.json_response({"kind": "json"})

    async def handle_xml(request):
        return web.Response(text="<kind>xml</kind>", content_type="application/xml")

    app = web.Application()
    chooser = AcceptChooser()
    app.router.add_route("GET", "/", chooser.do_route)
    chooser.reg_acceptor("application/json", handle_json)
    chooser.reg_acceptor("application/xml", handle_xml)
    client = await aiohttp_client(app)
    resp = await client.get("/", headers={"Accept": "application/json"})
    assert await resp.json() == {"kind": "json"}
    resp = await client.get("/", headers={"Accept": "application/xml"})
    assert resp.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert await resp.text() == "<kind>xml</kind>"
    resp = await client.get("/", headers={"Accept": "text/plain"})
    assert resp.status == 406


async def _expect_app() -> web.Application:
    async def check_auth(request):
        if request.version != aioweb.HttpVersion11:
            return
        if request.headers.get("AUTHORIZATION") is None:
            return web.HTTPForbidden()
        request.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def hello_body(request):
        body = await request.read()
        return web.Response(body=b"Hello, world " + body)

    app = web.Application()
    app.router.add_route("GET", "/", hello, expect_handler=check_auth)
    app.router.add_route("POST", "/", hello_body, expect_handler=check_auth)
    return app


async def test_expect_handler_check_auth(aiohttp_server):
    server = await aiohttp_server(await _expect_app())
    port = server.port

    async def raw(data: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        if head.startswith(b"HTTP/1.1 100"):
            writer.write(b"data")
            await writer.drain()
            rest = await asyncio.wait_for(reader.readuntil(b"Hello, world data"), 5)
            writer.close()
            return head + rest
        writer.close()
        return head

    forbidden = await raw(
        b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"
    )
    assert forbidden.startswith(b"HTTP/1.1 403 ")
    ok = await raw(
        b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nAuthorization: Basic x\r\n"
        b"Content-Length: 4\r\n\r\n"
    )
    assert ok.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
    assert ok.count(b"100 Continue") == 1  # the check_auth one, no second from the server

    # httpx sends Expect only when asked; the handler sees the header and the 403 comes back
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/", headers={"Expect": "100-continue"})
        assert r.status_code == 403
        r = await client.get(
            f"http://127.0.0.1:{port}/",
            headers={"Expect": "100-continue", "Authorization": "x"},
        )
        assert r.status_code == 200
        assert r.content == b"Hello, world"


async def test_expect_handler_with_aiohttp_client_expect100(aiohttp_server):
    server = await aiohttp_server(await _expect_app())
    url = f"http://127.0.0.1:{server.port}/"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=b"data", expect100=True) as resp:
            assert resp.status == 403
        async with session.post(
            url, data=b"data", expect100=True, headers={"Authorization": "Basic x"}
        ) as resp:
            assert resp.status == 200
            assert await resp.read() == b"Hello, world data"


async def test_default_expect_sends_100_continue(aiohttp_server):
    async def echo(request):
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/", echo)
    server = await aiohttp_server(app)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"abc")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert await asyncio.wait_for(reader.readexactly(3), 5) == b"abc"
    writer.close()


async def test_exceptions_raised_and_returned(aiohttp_client):
    async def returned(request):
        return web.HTTPFound("/redirect")

    async def raised(request):
        raise web.HTTPFound("/redirect")

    async def target(request):
        return web.Response(text="landed")

    app = web.Application()
    app.router.add_route("GET", "/returned", returned)
    app.router.add_route("GET", "/raised", raised)
    app.router.add_route("GET", "/redirect", target)
    client = await aiohttp_client(app)
    for path in ("/returned", "/raised"):
        resp = await client.get(path, allow_redirects=False)
        assert resp.status == 302
        assert resp.headers["Location"] == "/redirect"
        resp = await client.get(path)
        assert resp.status == 200
        assert await resp.text() == "landed"


async def test_every_exception_in_the_chart(aiohttp_client):
    chart = {
        200: web.HTTPOk, 201: web.HTTPCreated, 202: web.HTTPAccepted,
        203: web.HTTPNonAuthoritativeInformation, 204: web.HTTPNoContent,
        205: web.HTTPResetContent, 206: web.HTTPPartialContent,
        300: web.HTTPMultipleChoices, 301: web.HTTPMovedPermanently, 302: web.HTTPFound,
        303: web.HTTPSeeOther, 304: web.HTTPNotModified, 305: web.HTTPUseProxy,
        307: web.HTTPTemporaryRedirect, 308: web.HTTPPermanentRedirect,
        400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 402: web.HTTPPaymentRequired,
        403: web.HTTPForbidden, 404: web.HTTPNotFound, 405: web.HTTPMethodNotAllowed,
        406: web.HTTPNotAcceptable, 407: web.HTTPProxyAuthenticationRequired,
        408: web.HTTPRequestTimeout, 409: web.HTTPConflict, 410: web.HTTPGone,
        411: web.HTTPLengthRequired, 412: web.HTTPPreconditionFailed,
        413: web.HTTPRequestEntityTooLarge, 414: web.HTTPRequestURITooLong,
        415: web.HTTPUnsupportedMediaType, 416: web.HTTPRequestRangeNotSatisfiable,
        417: web.HTTPExpectationFailed, 421: web.HTTPMisdirectedRequest,
        422: web.HTTPUnprocessableEntity, 424: web.HTTPFailedDependency,
        426: web.HTTPUpgradeRequired, 428: web.HTTPPreconditionRequired,
        429: web.HTTPTooManyRequests, 431: web.HTTPRequestHeaderFieldsTooLarge,
        451: web.HTTPUnavailableForLegalReasons,
        500: web.HTTPInternalServerError, 501: web.HTTPNotImplemented,
        502: web.HTTPBadGateway, 503: web.HTTPServiceUnavailable,
        504: web.HTTPGatewayTimeout, 505: web.HTTPVersionNotSupported,
        506: web.HTTPVariantAlsoNegotiates, 507: web.HTTPInsufficientStorage,
        510: web.HTTPNotExtended, 511: web.HTTPNetworkAuthenticationRequired,
    }  # fmt: skip
    redirects = {300, 301, 302, 303, 305, 307, 308}

    def make(status):
        cls = chart[status]
        if status in redirects:
            return cls("/elsewhere", headers={"X-Extra": "1"})
        if status == 405:
            return cls("POST", ["GET", "PUT"], headers={"X-Extra": "1"})
        if status in (204, 304):
            return cls(headers={"X-Extra": "1"})
        if status == 413:  # aiohttp 3's signature: the limit and the size seen come first
            return cls(100, 200, headers={"X-Extra": "1"}, text=f"custom {status}")
        if status == 451:  # aiohttp's signature: the Link to the blocking authority first
            return cls("https://example.org/legal", headers={"X-Extra": "1"}, text="custom 451")
        return cls(headers={"X-Extra": "1"}, text=f"custom {status}")

    async def handler(request):
        status = int(request.match_info["status"])
        exc = make(status)
        if request.query.get("how") == "raise":
            raise exc
        return exc

    app = web.Application()
    app.router.add_get("/{status}", handler)
    client = await aiohttp_client(app)
    for status, cls in chart.items():
        assert issubclass(cls, web.HTTPException)
        assert cls.status_code == status
        if status < 300:
            assert issubclass(cls, web.HTTPSuccessful)
        elif status < 400:
            assert issubclass(cls, web.HTTPRedirection)
        elif status < 500:
            assert issubclass(cls, web.HTTPClientError) and issubclass(cls, web.HTTPError)
        else:
            assert issubclass(cls, web.HTTPServerError) and issubclass(cls, web.HTTPError)
        for how in ("raise", "return"):
            resp = await client.get(f"/{status}?how={how}", allow_redirects=False)
            assert resp.status == status, (status, how)
            assert resp.headers["X-Extra"] == "1"
            body = await resp.text()
            if status in redirects:
                assert resp.headers["Location"] == "/elsewhere"
            if status == 451:
                assert resp.headers["Link"] == '<https://example.org/legal>; rel="blocked-by"'
            if status == 405:
                assert set(resp.headers["Allow"].split(",")) == {"GET", "PUT"}
            if status in (204, 304):
                assert body == ""
            elif status not in redirects and status != 405:
                assert body == f"custom {status}"
    assert web.HTTPMethodNotAllowed("POST", ["GET"]).allowed_methods == {"GET"}
    assert web.HTTPMethodNotAllowed("POST", ["GET"]).method == "POST"
    assert web.HTTPFound("/x").location == "/x"


async def test_middleware_factory_old_style(aiohttp_client):
    calls = []

    async def middleware_factory(app, handler):
        async def middleware(request):
            calls.append(request.path)
            return await handler(request)

        return middleware

    async def deny_factory(app, handler):
        async def middleware(request):
            if request.path == "/secret":
                raise web.HTTPForbidden()
            resp = await handler(request)
            resp.headers["X-Wrapped"] = "yes"
            return resp

        return middleware

    app = web.Application(middlewares=[middleware_factory, deny_factory])
    app.router.add_route("GET", "/", hello)
    app.router.add_route("GET", "/secret", hello)
    client = await aiohttp_client(app)
    resp = await client.get("/")
    assert await resp.read() == b"Hello, world"
    assert resp.headers["X-Wrapped"] == "yes"
    resp = await client.get("/secret")
    assert resp.status == 403
    # 0.14: middlewares see routing exceptions too
    resp = await client.get("/missing")
    assert resp.status == 404
    assert calls == ["/", "/secret", "/missing"]


def test_make_handler_with_plain_event_loop_as_in_the_page():
    """The page's synchronous form: ``run_until_complete`` around ``create_server``."""
    loop = asyncio.new_event_loop()
    try:
        app = web.Application()
        app.router.add_route("GET", "/", hello)
        handler = app.make_handler()
        f = loop.create_server(handler, "127.0.0.1", 0)
        srv = loop.run_until_complete(f)
        port = srv.sockets[0].getsockname()[1]

        async def fetch():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET / HTTP/1.0\r\n\r\n")
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            return data

        data = loop.run_until_complete(fetch())
        assert data.startswith(b"HTTP/1.0 200 ") or data.startswith(b"HTTP/1.1 200 ")
        assert data.endswith(b"Hello, world")
        loop.run_until_complete(handler.finish_connections(1.0))
        srv.close()
        loop.run_until_complete(srv.wait_closed())
        loop.run_until_complete(app.finish())
    finally:
        loop.close()
    with socket.socket() as s:  # the port is free again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
