"""``request.json()`` on a body that is not JSON: a 400 when unhandled, and a
``json.JSONDecodeError`` (with its fields) for code written for aiohttp that catches one.

aiohttp lets ``json.loads``'s error through; aioweb raises an ``HTTPBadRequest`` so that an
unhandled bad body is a 400, not a 500.  aiohttp-pydantic (and other aiohttp code) catches
``JSONDecodeError`` to answer its own 400: the error is both, so that code keeps working.
"""

from __future__ import annotations

import json

import aiohttp

from aioweb import web


async def test_bad_json_is_a_400_and_a_json_decode_error() -> None:
    async def caught(request: web.Request) -> web.Response:
        try:
            await request.json()
        except json.JSONDecodeError as exc:
            return web.json_response(
                {"error": "malformed", "pos": exc.pos, "msg": exc.msg, "str": str(exc)}
            )
        return web.Response(text="parsed")

    async def uncaught(request: web.Request) -> web.Response:
        return web.json_response(await request.json())

    app = web.Application()
    app.router.add_post("/caught", caught)
    app.router.add_post("/uncaught", uncaught)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(base + "/caught", data=b"{nope") as resp:
                assert await resp.json() == {
                    "error": "malformed",
                    "pos": 1,
                    "msg": "Expecting property name enclosed in double quotes",
                    # str() is the parser's message, as aiohttp's (json.loads's own) error
                    "str": "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
                }
            async with session.post(base + "/uncaught", data=b"{nope") as resp:
                assert resp.status == 400
                assert "not valid JSON" in await resp.text()
    finally:
        await runner.cleanup()
