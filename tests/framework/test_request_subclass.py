"""Users' request classes keep working on the request's C base (``request_fields.py``).

Compiled, ``BaseRequest``'s per-request fields are C fields of ``RequestFields``; the classes
themselves stay Python classes with an instance ``__dict__``, so the patterns aiohttp users
rely on must behave as before: a ``web.Request`` subclass made by an application's
``_make_request`` (with its own ``__init__``, class defaults and attributes), attributes set on
any request by middlewares and handlers, ``clone()`` keeping the class and those attributes,
and a ``web.BaseRequest`` subclass made by a low-level server's ``request_factory``.
"""

from __future__ import annotations

import warnings
from typing import Any

import aiohttp

from aioweb import web


class UserRequest(web.Request):
    """A request class as users write them: an ``__init__`` of its own, a class default that
    instances shadow, and a property over the base's fields."""

    role = "anonymous"  # (a class default; set on the instance by the middleware below)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trace: list[str] = ["init"]

    @property
    def shout(self) -> str:
        return self.method.upper() + "!"


with warnings.catch_warnings():  # (subclassing Application is discouraged, yet done)
    warnings.simplefilter("ignore", DeprecationWarning)

    class UserApp(web.Application):
        def _make_request(self, head: Any, payload: Any, protocol: Any) -> web.Request:
            return UserRequest(head, payload, protocol, app=self, client_max_size=1234)


@web.middleware
async def login(request: web.Request, handler: Any) -> web.StreamResponse:
    request.role = "admin"  # type: ignore[attr-defined]  # (an attribute set on the request)
    request.trace.append("middleware")  # type: ignore[attr-defined]
    return await handler(request)


async def test_request_subclass_from_make_request(aiohttp_server) -> None:
    seen: list[web.Request] = []

    async def handler(request: web.Request) -> web.Response:
        assert type(request) is UserRequest
        seen.append(request)
        request.trace.append("handler")  # type: ignore[attr-defined]
        copy = request.clone(remote="203.0.113.9", client_max_size=99)
        assert type(copy) is UserRequest
        assert copy.trace == request.trace and copy.role == "admin"  # type: ignore[attr-defined]
        assert copy.remote == "203.0.113.9" and request.remote == "127.0.0.1"
        assert (copy.client_max_size, request.client_max_size) == (99, 1234)
        assert copy.match_info is request.match_info and copy.app is request.app
        assert copy.path == "/hello/world" and copy.method == "GET"
        text = f"{request.role} {request.shout} {request.match_info['name']}"  # type: ignore[attr-defined]
        return web.Response(text=text)  # (sent whole by the short path: a UserRequest)

    app = UserApp(middlewares=[login])
    app.router.add_get("/hello/{name}", handler)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.get(f"http://127.0.0.1:{server.port}/hello/world") as response:
                assert response.status == 200
                assert await response.text() == "admin GET! world"
                assert response.headers["Content-Length"] == "16"
    assert [r.trace for r in seen] == [["init", "middleware", "handler"]] * 2  # type: ignore[attr-defined]
    assert UserRequest.role == "anonymous"  # (the instances shadowed it)


async def test_attributes_and_clone_on_plain_requests(aiohttp_server) -> None:
    async def handler(request: web.Request) -> web.Response:
        request.custom = {"a": 1}  # type: ignore[attr-defined]
        request[web.RequestKey("k", int)] = 5
        copy = request.clone(method="POST", headers={"X-Test": "yes"})
        assert copy.custom is request.custom  # type: ignore[attr-defined]
        assert dict(copy) == dict(request) and copy._state is not request._state
        assert (copy.method, request.method) == ("POST", "GET")
        assert copy.headers["X-Test"] == "yes" and "X-Test" not in request.headers
        assert vars(request)["custom"] == {"a": 1}
        return web.Response(text=f"{copy.method} {request.method}")

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aiohttp_server(app)
    url = f"http://127.0.0.1:{server.port}/"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert await response.text() == "POST GET"


class RawRequest(web.BaseRequest):
    tag = "raw"


async def test_base_request_factory_of_a_low_level_server(aiohttp_raw_server) -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        assert type(request) is RawRequest
        request.tag = "instance"  # type: ignore[attr-defined]
        return web.Response(text=f"{request.tag} {request.method} {request.path}")  # type: ignore[attr-defined]

    server = await aiohttp_raw_server(
        handler, request_factory=lambda head, payload, protocol: RawRequest(head, payload, protocol)
    )
    url = f"http://127.0.0.1:{server.port}/raw"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert await response.text() == "instance GET /raw"
    assert RawRequest.tag == "raw"
