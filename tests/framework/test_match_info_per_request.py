"""Each request gets its own match info, even from the router's cache of plain routes.

The router builds match infos in C (``route_match_info``) and binds them to the application in
one call (``_enter_app``); what a handler sees must stay aiohttp's: a dict of its own per
request (handlers and middlewares may store into it), ``route``, ``current_app``, ``apps``,
``add_app``/``freeze`` refusing changes once frozen, and a class users can subclass.
"""

from __future__ import annotations

import aiohttp
import pytest

from aioweb import web


async def test_plain_route_match_info_is_per_request(aiohttp_server) -> None:
    seen: list[web.UrlMappingMatchInfo] = []

    async def hello(request: web.Request) -> web.Response:
        match_info = request.match_info
        assert "mark" not in match_info  # a store by an earlier request did not leak in
        match_info["mark"] = "set"
        seen.append(match_info)
        assert match_info.route.handler is hello
        assert match_info.current_app is request.app
        assert match_info.apps == (request.app,)
        with pytest.raises(RuntimeError):
            match_info.add_app(request.app)  # frozen by the application
        return web.Response(text=type(match_info).__name__)

    app = web.Application()
    app.router.add_get("/", hello)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):  # the 2nd and 3rd come from the router's cache
            async with session.get(f"http://127.0.0.1:{server.port}/") as response:
                assert response.status == 200
                assert await response.text() == "UrlMappingMatchInfo"
    assert len({id(m) for m in seen}) == 3
    assert all(dict(m) == {"mark": "set"} for m in seen)


async def test_variables_and_sub_application_stack(aiohttp_server) -> None:
    async def user(request: web.Request) -> web.Response:
        match_info = request.match_info
        apps = [a["name"] for a in match_info.apps]
        return web.Response(text=f"{match_info['id']} {'/'.join(apps)} {request.app['name']}")

    app = web.Application()
    app["name"] = "root"
    sub = web.Application()
    sub["name"] = "sub"
    sub.router.add_get("/user/{id}", user)
    app.add_subapp("/sub", sub)
    server = await aiohttp_server(app)
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.get(f"http://127.0.0.1:{server.port}/sub/user/42") as response:
                assert await response.text() == "42 root/sub sub"


def test_match_info_subclass_keeps_attributes() -> None:
    class Tagged(web.UrlMappingMatchInfo):
        pass

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    route = app.router.add_get("/x", handler)
    match_info = Tagged({"a": "1"}, route)
    match_info.tag = "mine"  # a Python subclass has a __dict__
    match_info.add_app(app)
    match_info.freeze()
    assert (match_info.tag, match_info["a"], match_info.route, match_info.apps) == (
        "mine",
        "1",
        route,
        (app,),
    )
    assert isinstance(match_info, dict)
    assert repr(match_info).startswith("<MatchInfo {'a': '1'}")
