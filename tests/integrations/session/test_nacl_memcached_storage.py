"""NaClCookieStorage and MemcachedStorage on a real server, a real memcached, and against
aiohttp_session's own storages (the cookies and records must pass between the two)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiomcache
import httpx
import nacl.secret
import nacl.utils
import pytest
import services

from aioweb import web
from aioweb.integrations.session import get_session, setup
from aioweb.integrations.session.memcached_storage import MemcachedStorage, memcached_expiry
from aioweb.integrations.session.nacl_storage import NaClCookieStorage


def make_app(storage: Any) -> web.Application:
    async def count(request: web.Request) -> web.Response:
        session = await get_session(request)
        session["n"] = session.get("n", 0) + 1
        return web.json_response({"n": session["n"], "new": session.new})

    app = web.Application()
    setup(app, storage)
    app.router.add_get("/", count)
    return app


@pytest.fixture(scope="module")
def memcached_address() -> Iterator[tuple[str, int]]:
    """A throwaway memcached on loopback (scripts/install-system-deps.sh installs it)."""
    binary = shutil.which("memcached")
    if binary is None:
        raise services.ServiceError(
            "memcached is not installed: run scripts/install-system-deps.sh"
        )
    port = services.free_port()
    workdir = Path(tempfile.mkdtemp(prefix="aioweb-memcached-"))
    log = workdir / "log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-u", "root"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    service = services.Service(f"127.0.0.1:{port}", process, workdir)
    try:
        services._wait_for_port(port, process, log, "memcached")
        yield "127.0.0.1", port
    finally:
        service.stop()


@pytest.fixture
async def memcached(memcached_address: tuple[str, int]) -> AsyncIterator[aiomcache.Client]:
    client = aiomcache.Client(*memcached_address)
    await client.flush_all()
    yield client
    await client.close()


async def test_nacl_cookie_is_sealed_and_read_back(aioweb_server) -> None:
    key = nacl.utils.random(32)
    server = await aioweb_server(make_app(NaClCookieStorage(key, max_age=60)))
    async with httpx.AsyncClient() as client:
        assert (await client.get(str(server.make_url("/")))).json() == {"n": 1, "new": True}
        sealed = client.cookies["AIOHTTP_SESSION"].strip('"')
        # Sealed: the session's JSON is not in the cookie's bytes, and the key opens them.
        # (Not a look for short strings in the base64 text: random text contains "41" at times.)
        box = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        assert b'"n"' not in box
        assert json.loads(nacl.secret.SecretBox(key).decrypt(box))["session"] == {"n": 1}
        assert (await client.get(str(server.make_url("/")))).json() == {"n": 2, "new": False}
    tampered = sealed[:-8] + "AAAAAAA="  # the authenticator no longer matches: a new session
    async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": tampered}) as client:
        assert (await client.get(str(server.make_url("/")))).json() == {"n": 1, "new": True}


async def test_nacl_cookie_interchangeable_with_aiohttp_session(aioweb_server) -> None:
    """A cookie sealed by aiohttp_session's NaClCookieStorage opens here with the same key."""
    from aiohttp.test_utils import make_mocked_request
    from aiohttp.web import Response as TheirResponse
    from aiohttp_session import Session as TheirSession
    from aiohttp_session.nacl_storage import NaClCookieStorage as Theirs

    key = nacl.utils.random(32)
    theirs, their_response = Theirs(key), TheirResponse()
    session = TheirSession(None, data=None, new=True)
    session["n"] = 41
    await theirs.save_session(make_mocked_request("GET", "/"), their_response, session)
    cookie = their_response.cookies["AIOHTTP_SESSION"].value
    server = await aioweb_server(make_app(NaClCookieStorage(key)))
    async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": cookie}) as client:
        assert (await client.get(str(server.make_url("/")))).json() == {"n": 42, "new": False}


async def test_memcached_keeps_data_server_side_with_expiry(aioweb_server, memcached) -> None:
    server = await aioweb_server(make_app(MemcachedStorage(memcached, max_age=600)))
    async with httpx.AsyncClient() as client:
        assert (await client.get(str(server.make_url("/")))).json() == {"n": 1, "new": True}
        key = client.cookies["AIOHTTP_SESSION"]
        assert (await client.get(str(server.make_url("/")))).json() == {"n": 2, "new": False}
    stored = json.loads(await memcached.get(f"AIOHTTP_SESSION_{key}".encode()))
    assert stored["session"] == {"n": 2}


async def test_memcached_refuses_cookie_values_memcached_would_refuse(
    aioweb_server, memcached
) -> None:
    """A cookie with a space or 300 bytes never becomes a memcached key: a fresh session."""
    server = await aioweb_server(make_app(MemcachedStorage(memcached)))
    for bad in ("a b", "x" * 300):
        async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": bad}) as client:
            assert (await client.get(str(server.make_url("/")))).json() == {"n": 1, "new": True}


def test_memcached_expiry_over_30_days_is_absolute() -> None:
    assert memcached_expiry(None) == 0
    assert memcached_expiry(3600) == 3600
    assert memcached_expiry(31 * 86400, now=1_000_000) == 1_000_000 + 31 * 86400
