"""``request.config_dict`` chains the apps from the current one outwards, as in aiohttp.

In a parent app's middleware, ``request.app`` (``match_info.current_app``) is the parent, and
the sub-app's storage is not in scope yet: aiohttp-jinja2's context processors rely on it (a
parent's middleware reads the parent's processors key, which a sub-app may also set).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aioweb import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def test_config_dict_in_each_apps_middleware_sees_its_own_scope(aiohttp_client: Any) -> None:
    seen: list[tuple[str, object, bool]] = []

    def recorder(name: str) -> Any:
        @web.middleware
        async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            config = request.config_dict
            seen.append((name, config.get("shadowed"), "only_sub" in config))
            return await handler(request)

        return middleware

    main = web.Application(middlewares=[recorder("main")])
    sub = web.Application(middlewares=[recorder("sub")])
    main["shadowed"] = "main value"
    sub["shadowed"] = "sub value"
    sub["only_sub"] = True

    async def handler(request: web.Request) -> web.Response:
        config = request.config_dict
        seen.append(("handler", config["shadowed"], "only_sub" in config))
        return web.Response(text="ok")

    sub.router.add_get("/", handler)
    main.add_subapp("/sub", sub)
    client = await aiohttp_client(main)
    async with client.get("/sub/") as resp:
        assert resp.status == 200
    assert seen == [
        ("main", "main value", False),  # the sub-app's storage is not in the parent's scope
        ("sub", "sub value", True),
        ("handler", "sub value", True),
    ]


async def test_config_dict_without_middlewares_is_the_innermost_apps_chain(
    aiohttp_client: Any,
) -> None:
    main = web.Application()
    sub = web.Application()
    main["a"] = "main"
    main["b"] = "main"
    sub["b"] = "sub"

    async def handler(request: web.Request) -> web.Response:
        config = request.config_dict
        return web.Response(text=f"{config['a']} {config['b']}")

    sub.router.add_get("/", handler)
    main.router.add_get("/", handler)
    main.add_subapp("/sub", sub)
    client = await aiohttp_client(main)
    async with client.get("/sub/") as resp:
        assert await resp.text() == "main sub"
    async with client.get("/") as resp:
        assert await resp.text() == "main main"
