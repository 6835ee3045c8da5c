"""``app.add_domain()``: domain sub-apps are tried before the parent's own routes (as aiohttp),
a Host with a port reaches a portless rule, and ``*`` masks match per aiohttp's rules."""

from __future__ import annotations

import aiohttp
import pytest
from bodies_util import serve

from aioweb import web
from aioweb.framework.routing import Domain, MaskDomain


def _answer(text: str) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=text)

    app = web.Application()
    app.router.add_get("/", handler)
    return app


async def test_domain_sub_app_wins_over_the_parent_route_at_the_same_path() -> None:
    app = _answer("parent")  # the parent's "/" is registered first
    app.add_domain("example.com", _answer("example"))
    app.add_domain("*.example.org:81", _answer("mask"))
    async with serve(app) as base, aiohttp.ClientSession() as session:
        for host, expected in (
            ("example.com", "example"),
            ("EXAMPLE.COM:8080", "example"),
            ("a.b.example.org:81", "mask"),
            ("a.example.org:82", "parent"),
            ("other.test", "parent"),
            ("example.com", "example"),  # (again: no host-blind cached hit in between)
        ):
            async with session.get(base, headers={"Host": host}) as resp:
                assert (resp.status, await resp.text()) == (200, expected), host


def test_rules() -> None:
    assert MaskDomain("*.example.com").canonical == r"[^:]*\.example\.com(:.*)?"
    assert Domain("example.com").get_info() == {"domain": "example.com"}
    with pytest.raises(ValueError):
        Domain("*.example.com")  # a mask is a MaskDomain
    assert MaskDomain("*.example.com:81").match_domain("a.example.com:81")
    assert not MaskDomain("*.example.com:81").match_domain("a.example.com")
    assert not MaskDomain("*.example.com").match_domain("a:b.example.com")


async def test_domain_sub_app_inside_a_prefixed_sub_app() -> None:
    """A domain rule in an app mounted under a prefix (aiohttp prefixes its routes)."""
    inner = web.Application()
    inner.add_domain("example.com", _answer("example"))
    root = web.Application()
    root.add_subapp("/x", inner)
    async with serve(root) as base, aiohttp.ClientSession() as session:
        async with session.get(base + "/x/", headers={"Host": "example.com"}) as resp:
            assert (resp.status, await resp.text()) == (200, "example")
        async with session.get(base + "/x/", headers={"Host": "other.test"}) as resp:
            assert resp.status == 404


def test_bare_function_handlers_and_routes_after_a_wildcard() -> None:
    def bare(request: web.Request) -> web.Response:
        return web.Response()

    router = web.Application().router
    with pytest.deprecated_call(match="Bare functions are deprecated, use async ones"):
        router.add_route("GET", "/bare", bare)
    resource = router.add_resource("/any")

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    resource.add_route("*", handler)
    with pytest.raises(RuntimeError, match="will never be executed"):
        resource.add_route("GET", handler)


def test_invalid_variable_regex_names_the_pattern() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    with pytest.raises(
        ValueError, match=r"^Bad pattern '/handler/\(\?P<to>\+\+\+\)': nothing"
    ) as e:
        web.Application().router.add_route("GET", r"/handler/{to:+++}", handler)
    assert e.value.__cause__ is None


async def test_url_for_encodes_the_route_text_and_routes_it_back() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info["arg"])

    app = web.Application()
    route = app.router.add_route("GET", "/\u00e9t\u00e9 %2Fx/{arg}", handler)
    url = route.url_for(arg="1 2")
    assert str(url) == "/%C3%A9t%C3%A9%20%2Fx/1%202"
    async with (
        serve(app) as base,
        aiohttp.ClientSession() as session,
        session.get(base + str(url)) as resp,
    ):
        assert (resp.status, await resp.text()) == (200, "1 2")
