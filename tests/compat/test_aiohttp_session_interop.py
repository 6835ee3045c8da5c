"""Migrating from aiohttp_session logs nobody out: cookies and Redis records written by
aiohttp_session on a real aiohttp server are read by aioweb.session, and the other way round."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import aiohttp_session
import httpx
import pytest
from aiohttp import web as aiohttp_web
from aiohttp_session.cookie_storage import EncryptedCookieStorage as TheirEncrypted
from aiohttp_session.redis_storage import RedisStorage as TheirRedis
from redis import asyncio as aioredis

from aioweb import web
from aioweb.integrations.session import SimpleCookieStorage, get_session, setup
from aioweb.integrations.session.cookie_storage import EncryptedCookieStorage
from aioweb.integrations.session.redis_storage import RedisStorage

# aiohttp's own companions still use str request keys, which aiohttp 3.14 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:It is recommended to use web.RequestKey")

KEY = bytes(range(32))


async def _write(request: Any, get: Any) -> Any:
    session = await get(request)
    session["who"] = request.query.get("who", "?")
    return {"ok": True}


async def _read(request: Any, get: Any) -> Any:
    session = await get(request)
    return {"data": dict(session), "new": session.new}


@contextlib.asynccontextmanager
async def aiohttp_server(storage: Any) -> AsyncIterator[str]:
    async def write(request):
        return aiohttp_web.json_response(await _write(request, aiohttp_session.get_session))

    async def read(request):
        return aiohttp_web.json_response(await _read(request, aiohttp_session.get_session))

    app = aiohttp_web.Application()
    aiohttp_session.setup(app, storage)
    app.router.add_get("/write", write)
    app.router.add_get("/read", read)
    runner = aiohttp_web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await aiohttp_web.SockSite(runner, sock).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await runner.cleanup()


async def aioweb_server_for(aioweb_server: Any, storage: Any) -> str:
    async def write(request):
        return web.json_response(await _write(request, get_session))

    async def read(request):
        return web.json_response(await _read(request, get_session))

    app = web.Application()
    setup(app, storage)
    app.router.add_get("/write", write)
    app.router.add_get("/read", read)
    server = await aioweb_server(app)
    return str(server.make_url("")).rstrip("/")


async def roundtrip(writer: str, reader: str, cookie_name: str = "AIOHTTP_SESSION") -> Any:
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{writer}/write", params={"who": "migrated"})
        cookie = resp.cookies[cookie_name]
    async with httpx.AsyncClient(cookies={cookie_name: cookie}) as client:
        return (await client.get(f"{reader}/read")).json()


@pytest.mark.parametrize("direction", ["aiohttp->aioweb", "aioweb->aiohttp"])
async def test_encrypted_cookies_interoperate(aioweb_server, direction: str) -> None:
    ours = await aioweb_server_for(aioweb_server, EncryptedCookieStorage(KEY))
    async with aiohttp_server(TheirEncrypted(KEY)) as theirs:
        writer, reader = (theirs, ours) if direction.startswith("aiohttp") else (ours, theirs)
        assert await roundtrip(writer, reader) == {"data": {"who": "migrated"}, "new": False}


async def test_simple_cookies_from_aiohttp_are_read(aioweb_server) -> None:
    ours = await aioweb_server_for(aioweb_server, SimpleCookieStorage())
    async with aiohttp_server(aiohttp_session.SimpleCookieStorage()) as theirs:
        assert await roundtrip(theirs, ours) == {"data": {"who": "migrated"}, "new": False}


async def test_redis_records_interoperate(aioweb_server, redis_url: str) -> None:
    redis = aioredis.from_url(redis_url)
    try:
        ours = await aioweb_server_for(aioweb_server, RedisStorage(redis))
        async with aiohttp_server(TheirRedis(redis)) as theirs:
            assert await roundtrip(theirs, ours) == {"data": {"who": "migrated"}, "new": False}
            assert await roundtrip(ours, theirs) == {"data": {"who": "migrated"}, "new": False}
    finally:
        await redis.aclose()


def test_aiohttp_session_rejects_the_017_key_that_we_accept() -> None:
    with pytest.raises(ValueError):
        TheirEncrypted(b"Sixteen byte key")
    EncryptedCookieStorage(b"Sixteen byte key")


async def test_aiohttp_client_cookie_jar_too(aioweb_server) -> None:
    """Same check with aiohttp's client carrying the cookie between the two servers."""
    ours = await aioweb_server_for(aioweb_server, EncryptedCookieStorage(KEY))
    async with (
        aiohttp_server(TheirEncrypted(KEY)) as theirs,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client,
    ):
        async with client.get(f"{theirs}/write?who=jar"):
            pass
        # Same host (127.0.0.1), different port: cookies are not port-scoped (RFC 6265 §8.5).
        async with client.get(f"{ours}/read") as resp:
            assert await resp.json() == {"data": {"who": "jar"}, "new": False}
