"""Regression tests for rules no other test pinned down (issue 11, item 6).

* ``405 Method Not Allowed`` on a *variable* route (``/user/{id}``): RFC 9110 §15.5.6 makes the
  server send ``Allow`` with the methods the target resource supports. Exactly that resource's
  methods: not another resource's, and not a 404 (which would tell a client the URL is wrong
  when only the method is).
* ``HttpOnly`` and ``Secure`` are independent cookie attributes (RFC 6265 §4.1.2.5-6): one must
  never switch the other on or off, on ``set_cookie`` nor on ``del_cookie``.

Everything is checked on the bytes a real server sends over a real socket.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aioweb import web

pytestmark = pytest.mark.timeout(60)


async def raw(server: Any, data: bytes) -> tuple[int, list[tuple[str, str]]]:
    """Send ``data`` (with ``Connection: close``); return status and header lines as sent."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(data)
        async with asyncio.timeout(10):
            out = await reader.read()
    finally:
        writer.close()
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = [(n.strip().lower(), v.strip()) for n, _, v in (h.partition(":") for h in head[1:])]
    return int(head[0].split()[1]), headers


def request(method: str, path: str) -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()


# ---------------------------------------------------------------------------- 405 + Allow


def routes_app() -> web.Application:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/user/{id}", ok)  # GET brings HEAD along
    app.router.add_put("/user/{id}", ok)
    app.router.add_post("/item/{id:\\d+}", ok)  # another variable route, other methods
    app.router.add_delete("/item/{id:\\d+}/tag/{tag}", ok)
    app.router.add_post("/plain", ok)
    return app


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/user/42", {"GET", "HEAD", "PUT"}),
        ("POST", "/user/ann", {"GET", "HEAD", "PUT"}),
        ("PATCH", "/user/%20", {"GET", "HEAD", "PUT"}),
        ("GET", "/item/7", {"POST"}),
        ("PUT", "/item/7/tag/red", {"DELETE"}),
        ("GET", "/plain", {"POST"}),
    ],
    ids=["user-delete", "user-post", "user-patch-escaped", "item-get", "nested-put", "plain-get"],
)
async def test_wrong_method_on_variable_route_is_405_with_allow(
    aioweb_server, method: str, path: str, allow: set[str]
) -> None:
    server = await aioweb_server(routes_app())
    status, headers = await raw(server, request(method, path))
    assert status == 405
    allows = [v for n, v in headers if n == "allow"]
    assert len(allows) == 1
    assert {m.strip() for m in allows[0].split(",")} == allow


@pytest.mark.parametrize(
    ("method", "path"),
    [
        (
            "GET",
            "/user/1",
        ),
        ("HEAD", "/user/1"),
        ("PUT", "/user/1"),
        ("POST", "/item/7"),
    ],
    ids=["get", "head", "put", "post"],
)
async def test_right_method_on_variable_route_is_served(aioweb_server, method, path) -> None:
    server = await aioweb_server(routes_app())
    status, headers = await raw(server, request(method, path))
    assert status == 200
    assert not [v for n, v in headers if n == "allow"]


@pytest.mark.parametrize(
    "path",
    ["/item/x", "/user/", "/user/1/more", "/nothing"],
    ids=["regex-miss", "empty-var", "extra", "none"],
)
async def test_no_matching_resource_is_404_without_allow(aioweb_server, path: str) -> None:
    server = await aioweb_server(routes_app())
    status, headers = await raw(server, request("DELETE", path))
    assert status == 404
    assert not [v for n, v in headers if n == "allow"]


# ---------------------------------------------------------------------------- cookies


def cookie_app() -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(text="ok")
        resp.set_cookie("ho", "1", httponly=True, secure=False)
        resp.set_cookie("so", "2", httponly=False, secure=True)
        resp.set_cookie("both", "3", httponly=True, secure=True)
        resp.set_cookie("neither", "4")
        resp.del_cookie("del_ho", httponly=True)
        resp.del_cookie("del_so", secure=True)
        resp.del_cookie("del_plain")
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    return app


def attributes(line: str) -> tuple[str, set[str]]:
    """A Set-Cookie line's name and its attribute names (lower case, values dropped)."""
    first, *attrs = (part.strip() for part in line.split(";"))
    return first.split("=", 1)[0], {a.split("=", 1)[0].lower() for a in attrs}


@pytest.mark.parametrize(
    ("name", "httponly", "secure"),
    [
        ("ho", True, False),
        ("so", False, True),
        ("both", True, True),
        ("neither", False, False),
        ("del_ho", True, False),
        ("del_so", False, True),
        ("del_plain", False, False),
    ],
    ids=[
        "httponly-only",
        "secure-only",
        "both",
        "neither",
        "del-httponly",
        "del-secure",
        "del-plain",
    ],
)
async def test_httponly_and_secure_are_independent(
    aioweb_server, name: str, httponly: bool, secure: bool
) -> None:
    server = await aioweb_server(cookie_app())
    status, headers = await raw(server, request("GET", "/"))
    assert status == 200
    lines = dict(attributes(v) for n, v in headers if n == "set-cookie")
    assert ("httponly" in lines[name]) is httponly
    assert ("secure" in lines[name]) is secure
    if name.startswith("del_"):
        assert "max-age" in lines[name]  # still a deletion
