"""``normalize_path_middleware(remove_slash=True)`` with merged slashes, as aiohttp's tests pin it:
``/////resource/a///b///`` reaches ``/resource/a/b`` (slashes merged first, then the trailing one
removed), the query kept; both slash flags at once are refused."""

from __future__ import annotations

import aiohttp
import pytest
from bodies_util import serve

from aioweb import web


async def test_remove_and_merge_slashes() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.path_qs)

    app = web.Application(
        middlewares=[web.normalize_path_middleware(append_slash=False, remove_slash=True)]
    )
    app.router.add_get("/resource/a/b", handler)
    async with serve(app) as base, aiohttp.ClientSession() as session:
        for path in ("/////resource/a///b///?p=1", "/resource/a/b/?p=1", "//resource//a//b?p=1"):
            async with session.get(base + path) as resp:
                assert (resp.status, await resp.text()) == (200, "/resource/a/b?p=1"), path
        async with session.get(base + "/other///") as resp:
            assert resp.status == 404


def test_both_slash_flags_refused() -> None:
    for error in (ValueError, AssertionError):  # (aiohttp asserts)
        with pytest.raises(error, match="Cannot both remove and append slash"):
            web.normalize_path_middleware(append_slash=True, remove_slash=True)
