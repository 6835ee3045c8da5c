"""Framework details an aiohttp user leans on: route definitions, views, config_dict,
current_app in sub-app middlewares, router introspection, responses' own rules."""

from __future__ import annotations

import pytest

from aioweb import web


async def test_route_definitions_of_every_kind(aiohttp_client):
    routes = web.RouteTableDef()

    @routes.get("/get")
    async def g(request):
        return web.Response(text="get")

    @routes.post("/m")
    @routes.put("/m")
    @routes.patch("/m")
    @routes.delete("/m")
    async def m(request):
        return web.Response(text=request.method)

    @routes.head("/h")
    async def h(request):
        return web.Response(headers={"X-Head": "1"})

    @routes.route("OPTIONS", "/o")
    async def o(request):
        return web.Response(text="options")

    @routes.view("/v")
    class V(web.View):
        async def get(self):
            return web.Response(text="view")

        async def delete(self):
            return web.Response(text="view delete")

    async def plain(request):
        return web.Response(text="plain")

    class V2(web.View):
        async def patch(self):
            return web.Response(text="v2 patch")

    app = web.Application()
    app.add_routes(routes)
    app.add_routes(
        [
            web.route("*", "/any", plain),
            web.get("/nohead", plain, allow_head=False),
            web.view("/v2", V2),
            web.options("/o2", plain),
        ]
    )
    app.router.add_head("/h2", plain)
    assert len(routes) == 8
    assert [r.method for r in routes][:1] == ["GET"]
    client = await aiohttp_client(app)
    assert await (await client.get("/get")).text() == "get"
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert await (await client.request(method, "/m")).text() == method
    resp = await client.head("/h")
    assert resp.status == 200 and resp.headers["X-Head"] == "1"
    assert (await client.get("/h")).status == 405
    assert await (await client.options("/o")).text() == "options"
    assert await (await client.get("/v")).text() == "view"
    assert await (await client.delete("/v")).text() == "view delete"
    assert await (await client.patch("/v2")).text() == "v2 patch"
    assert (await client.get("/v2")).status == 405
    assert await (await client.request("PROPFIND", "/any")).text() == "plain"
    resp = await client.head("/nohead")
    assert resp.status == 405 and resp.headers["Allow"] == "GET"
    assert await (await client.options("/o2")).text() == "plain"
    assert (await client.head("/h2")).status == 200


def test_router_introspection_and_name_rules():
    async def handler(request):
        return web.Response()

    app = web.Application()
    r1 = app.router.add_get("/a", handler, name="a")
    app.router.add_post("/a", handler)
    app.router.add_get("/b/{x}", handler, name="b.x")
    assert r1.name == "a" and r1.method == "GET"
    assert "a" in app.router and "b.x" in app.router
    assert app.router["b.x"].canonical == "/b/{x}"
    # a new resource: the POST has no name (aiohttp reuses the last one only for the same name)
    assert len(app.router.resources()) == 3
    assert {r.method for r in app.router.routes()} >= {"GET", "POST"}
    assert list(app.router.named_resources()) == ["a", "b.x"]
    with pytest.raises(ValueError):
        app.router.add_get("/c", handler, name="a")  # duplicate name
    with pytest.raises(ValueError):
        app.router.add_get("/d", handler, name="not valid!")
    with pytest.raises(ValueError):
        app.router.add_get("no-slash", handler)
    with pytest.raises(ValueError):
        app.router.add_get("/{x:(}", handler)  # bad regex
    with pytest.raises(RuntimeError):
        app.router["a"].add_route("GET", handler)  # a second GET on one resource


async def test_config_dict_and_current_app_in_subapp_middlewares(aiohttp_client):
    seen = []

    @web.middleware
    async def main_mw(request, handler):
        seen.append(("main", request.match_info.current_app is main))
        return await handler(request)

    @web.middleware
    async def sub_mw(request, handler):
        seen.append(("sub", request.match_info.current_app is sub))
        resp = await handler(request)
        seen.append(("sub after", request.app is sub))
        return resp

    main = web.Application(middlewares=[main_mw])
    sub = web.Application(middlewares=[sub_mw])
    main["only_main"] = "m"
    main["shadowed"] = "main value"
    sub["shadowed"] = "sub value"

    async def handler(request):
        seen.append(("handler", request.app is sub))
        cfg = request.config_dict
        return web.json_response(
            {
                "only_main": cfg["only_main"],
                "shadowed": cfg["shadowed"],
                "own": "only_main" in request.app,
            }
        )

    sub.router.add_get("/", handler)
    main.add_subapp("/sub", sub)
    client = await aiohttp_client(main)
    assert await (await client.get("/sub/")).json() == {
        "only_main": "m",
        "shadowed": "sub value",
        "own": False,
    }
    assert seen == [("main", True), ("sub", True), ("handler", True), ("sub after", True)]


async def test_nested_subapps_and_url_for(aiohttp_client):
    root = web.Application()
    mid = web.Application()
    leaf = web.Application()

    async def handler(request):
        return web.Response(text=str(request.app.router["leaf"].url_for(id="5")))

    leaf.router.add_get("/item/{id}", handler, name="leaf")
    mid.add_subapp("/leaf", leaf)
    root.add_subapp("/mid", mid)
    client = await aiohttp_client(root)
    assert await (await client.get("/mid/leaf/item/1")).text() == "/mid/leaf/item/5"


async def test_response_rules(aiohttp_client):
    async def both(request):
        return web.Response(text="a", body=b"b")

    async def ct_twice(request):
        return web.Response(text="a", content_type="text/html", headers={"Content-Type": "x/y"})

    async def json_text(request):
        return web.json_response(text='{"pre": "made"}')

    async def custom(request):
        resp = web.Response(status=299, reason="Custom Reason", text="c")
        resp.headers["X-Multi"] = "1"
        resp.headers.add("X-Multi", "2")
        return resp

    async def charset(request):
        resp = web.Response(text="é", charset="latin-1")
        return resp

    async def stream_len(request):
        resp = web.StreamResponse(status=201)
        resp.content_length = 5
        resp.content_type = "text/plain"
        await resp.prepare(request)
        await resp.write(b"hello")
        return resp

    app = web.Application()
    app.router.add_get("/both", both)
    app.router.add_get("/ct", ct_twice)
    app.router.add_get("/json", json_text)
    app.router.add_get("/custom", custom)
    app.router.add_get("/charset", charset)
    app.router.add_get("/stream", stream_len)
    client = await aiohttp_client(app)
    assert (await client.get("/both")).status == 500  # text and body together: a bug
    assert (await client.get("/ct")).status == 500  # content_type and a Content-Type header
    resp = await client.get("/json")
    assert await resp.json() == {"pre": "made"}
    resp = await client.get("/custom")
    assert resp.status == 299 and resp.reason == "Custom Reason"
    assert resp.headers.getall("X-Multi") == ["1", "2"]
    resp = await client.get("/charset")
    assert resp.headers["Content-Type"] == "text/plain; charset=latin-1"
    assert await resp.read() == "é".encode("latin-1")
    resp = await client.get("/stream")
    assert resp.status == 201 and resp.headers["Content-Length"] == "5"
    assert "Transfer-Encoding" not in resp.headers
    assert await resp.read() == b"hello"


async def test_error_middleware_pattern(aiohttp_client):
    """The common aiohttp error middleware: custom pages for 404/405/500."""

    @web.middleware
    async def errors(request, handler):
        try:
            return await handler(request)
        except web.HTTPException as ex:
            if ex.status in (404, 405):
                return web.json_response(
                    {"error": ex.reason, "allow": sorted(ex.headers.get("Allow", "").split(","))},
                    status=ex.status,
                )
            raise
        except Exception as ex:
            return web.json_response({"error": type(ex).__name__}, status=500)

    async def ok(request):
        return web.Response(text="ok")

    async def boom(request):
        raise KeyError("x")

    async def moved(request):
        raise web.HTTPMovedPermanently("/ok")

    app = web.Application(middlewares=[errors])
    app.router.add_get("/ok", ok)
    app.router.add_get("/boom", boom)
    app.router.add_get("/moved", moved)
    client = await aiohttp_client(app)
    resp = await client.get("/missing")
    assert resp.status == 404 and (await resp.json())["error"] == "Not Found"
    resp = await client.post("/ok")
    assert resp.status == 405
    assert (await resp.json())["allow"] == ["GET", "HEAD"]
    resp = await client.get("/boom")
    assert resp.status == 500 and await resp.json() == {"error": "KeyError"}
    resp = await client.get("/moved", allow_redirects=False)
    assert resp.status == 301 and resp.headers["Location"] == "/ok"


async def test_on_response_prepare_sees_exceptions_and_subapp_responses(aiohttp_client):
    seen = []

    async def main_prepare(request, response):
        seen.append(("main", response.status))
        response.headers["X-Main"] = "1"

    async def sub_prepare(request, response):
        seen.append(("sub", response.status))

    main = web.Application()
    sub = web.Application()
    main.on_response_prepare.append(main_prepare)
    sub.on_response_prepare.append(sub_prepare)

    async def redirect(request):
        raise web.HTTPFound("/elsewhere")

    sub.router.add_get("/r", redirect)
    main.add_subapp("/sub", sub)
    client = await aiohttp_client(main)
    resp = await client.get("/sub/r", allow_redirects=False)
    assert resp.status == 302 and resp.headers["X-Main"] == "1"
    assert seen == [("main", 302), ("sub", 302)]
