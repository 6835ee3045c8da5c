"""RedisStorage against a real redis-server (the ``redis_url`` fixture starts one)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from redis import asyncio as aioredis

from aioweb import web
from aioweb.integrations.session import get_session, new_session, setup
from aioweb.integrations.session.redis_storage import RedisStorage


def make_app(redis: Any, **kwargs: Any) -> web.Application:
    async def count(request):
        session = await get_session(request)
        session["n"] = session.get("n", 0) + 1
        return web.json_response({"n": session["n"], "id": session.identity})

    async def login(request):
        session = await new_session(request)
        session["user"] = "ann"
        return web.json_response({"id": session.identity})

    async def logout(request):
        (await get_session(request)).invalidate()
        return web.Response(text="bye")

    app = web.Application()
    setup(app, RedisStorage(redis, **kwargs))
    app.router.add_get("/", count)
    app.router.add_get("/login", login)
    app.router.add_get("/logout", logout)
    return app


@pytest.fixture
async def redis(redis_url: str):
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


async def test_roundtrip_data_lives_in_redis_with_expiry(aioweb_server, redis) -> None:
    server = await aioweb_server(make_app(redis, max_age=600))
    async with httpx.AsyncClient() as client:
        first = (await client.get(str(server.make_url("/")))).json()
        key = client.cookies["AIOHTTP_SESSION"]
        assert len(key) == 32 and first == {"n": 1, "id": None}  # identity set at save time
        second = (await client.get(str(server.make_url("/")))).json()
        assert second == {"n": 2, "id": key}
    stored = json.loads(await redis.get(f"AIOHTTP_SESSION_{key}"))
    assert stored["session"] == {"n": 2}
    assert 590 <= await redis.ttl(f"AIOHTTP_SESSION_{key}") <= 600


async def test_unknown_or_absurd_key_gives_fresh_session(aioweb_server, redis) -> None:
    server = await aioweb_server(make_app(redis))
    for bogus in ("deadbeef" * 4, "x" * 5000, "../../etc", "*"):
        async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": bogus}) as client:
            resp = await client.get(str(server.make_url("/")))
            assert resp.status_code == 200 and resp.json()["n"] == 1
            # a new random key, never the one the client proposed (no session fixation)
            assert resp.cookies["AIOHTTP_SESSION"] != bogus


async def test_garbage_in_redis_gives_fresh_session(aioweb_server, redis) -> None:
    await redis.set("AIOHTTP_SESSION_k1", b"\xff\xfe not json")
    await redis.set("AIOHTTP_SESSION_k2", "[1, 2, 3]")
    server = await aioweb_server(make_app(redis))
    for key in ("k1", "k2"):
        async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": key}) as client:
            resp = await client.get(str(server.make_url("/")))
            assert resp.status_code == 200 and resp.json()["n"] == 1


async def test_new_session_rotates_key_and_logout_deletes_record(aioweb_server, redis) -> None:
    server = await aioweb_server(make_app(redis))
    async with httpx.AsyncClient() as client:
        await client.get(str(server.make_url("/")))
        before = client.cookies["AIOHTTP_SESSION"]
        await client.get(str(server.make_url("/login")))
        after = client.cookies["AIOHTTP_SESSION"]
        assert after != before
        assert json.loads(await redis.get(f"AIOHTTP_SESSION_{after}"))["session"] == {"user": "ann"}
        resp = await client.get(str(server.make_url("/logout")))
        assert resp.text == "bye"
        assert await redis.get(f"AIOHTTP_SESSION_{after}") is None
        assert "AIOHTTP_SESSION" not in client.cookies


async def test_survives_restart(aioweb_server, redis) -> None:
    first = await aioweb_server(make_app(redis))
    async with httpx.AsyncClient() as client:
        await client.get(str(first.make_url("/login")))
        key = client.cookies["AIOHTTP_SESSION"]
    await first.close()
    second = await aioweb_server(make_app(redis))
    async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": key}) as client:
        resp = await client.get(str(second.make_url("/")))
    assert resp.json() == {"n": 1, "id": key}
    stored = json.loads(await redis.get(f"AIOHTTP_SESSION_{key}"))
    assert stored["session"] == {"user": "ann", "n": 1}


def test_rejects_non_redis_object() -> None:
    with pytest.raises(TypeError):
        RedisStorage(object())
