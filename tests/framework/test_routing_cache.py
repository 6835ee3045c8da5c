"""The router remembers which plain route answered a (path, method) once it is frozen; that
memory must never change an answer and must stay bounded."""

from __future__ import annotations

import pytest
from foundation_util import open_raw, read_response

from aioweb import web
from aioweb.framework.routing import SystemRoute, dispatcher


async def _send(port: int, method: str, path: str) -> tuple[int, bytes]:
    reader, writer = await open_raw(port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    response = await read_response(reader, head_request=method == "HEAD")
    writer.close()
    return response.status, response.body


async def test_answers_stay_the_same_and_the_memory_bounded(aiohttp_server, monkeypatch):
    monkeypatch.setattr(dispatcher, "_PLAIN_HITS_MAX", 3)

    async def anything(request: web.Request) -> web.Response:
        return web.Response(text=f"any {request.method}")

    async def about(request: web.Request) -> web.Response:
        return web.Response(text="about")

    async def named(request: web.Request) -> web.Response:
        return web.Response(text=f"name {request.match_info['name']}")

    app = web.Application()
    app.router.add_route("*", "/any", anything)
    app.router.add_get("/{name}", named)
    app.router.add_get("/about", about)
    server = await aiohttp_server(app)
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "PROPFIND"]  # (llhttp knows ~40)
    for _ in range(2):  # the second round is answered from the memory where it holds
        for method in methods:
            assert await _send(server.port, method, "/any") == (200, f"any {method}".encode())
        assert await _send(server.port, "GET", "/about") == (200, b"about")
        assert await _send(server.port, "GET", "/other") == (200, b"name other")
        assert (await _send(server.port, "POST", "/about"))[0] == 405
        assert await _send(server.port, "HEAD", "/about") == (200, b"")
    hits = [route for by_path in app.router._plain_hits.values() for route in by_path.values()]
    assert len(hits) == app.router._plain_hit_count == 3
    assert all(type(route) is not SystemRoute for route in hits)


@pytest.mark.parametrize("frozen", [False, True])
async def test_nothing_is_remembered_before_the_router_is_frozen(frozen: bool) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get("/x", handler)
    if frozen:
        app.freeze()
    request = web.Request.__new__(web.Request)  # only the routing path is read
    app.router._resolve_path(request, "/x", "GET")
    assert app.router._plain_hit_count == (1 if frozen else 0)
    assert sum(map(len, app.router._plain_hits.values())) == (1 if frozen else 0)
