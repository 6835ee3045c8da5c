"""aioweb.session on a real server, with aiohttp's client (cookie jar) and httpx."""

from __future__ import annotations

import base64
import json
import time
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
import httpx
import pytest
from cryptography.fernet import Fernet

from aioweb import web
from aioweb.integrations.session import (
    SimpleCookieStorage,
    get_session,
    new_session,
    session_middleware,
    setup,
)
from aioweb.integrations.session.cookie_storage import EncryptedCookieStorage


def counter_app(storage: Any) -> web.Application:
    """A counter plus login/logout routes, the shapes real apps have."""

    async def count(request):
        session = await get_session(request)
        session["n"] = session.get("n", 0) + 1
        return web.json_response({"n": session["n"], "new": session.new})

    async def peek(request):
        session = await get_session(request)
        return web.json_response({"data": dict(session), "new": session.new})

    async def login(request):
        session = await new_session(request)
        session["user"] = request.query.get("user", "ann")
        raise web.HTTPFound("/peek")

    async def logout(request):
        (await get_session(request)).invalidate()
        return web.Response(text="bye")

    async def untouched(request):
        return web.Response(text="no session use")

    app = web.Application()
    setup(app, storage)
    app.router.add_get("/", count)
    app.router.add_get("/peek", peek)
    app.router.add_get("/login", login)
    app.router.add_get("/logout", logout)
    app.router.add_get("/untouched", untouched)
    return app


def set_cookie_of(resp: Any, name: str = "AIOHTTP_SESSION") -> Any:
    jar: SimpleCookie = SimpleCookie()
    headers = resp.headers
    values = (
        headers.get_list("set-cookie")
        if hasattr(headers, "get_list")
        else headers.getall("Set-Cookie", [])
    )
    for value in values:
        jar.load(value)
    return jar.get(name)


async def test_017_usage_page_example_with_16_byte_key(aioweb_server) -> None:
    """The 0.17 docs' session example (16-byte key) works; aiohttp_session rejects the key."""

    async def handler(request):
        session = await get_session(request)
        session["last_visit"] = time.time()
        return web.Response(body=b"OK")

    app = web.Application(
        middlewares=[session_middleware(EncryptedCookieStorage(b"Sixteen byte key"))]
    )
    app.router.add_route("GET", "/", handler)
    server = await aioweb_server(app)
    jar = aiohttp.CookieJar(unsafe=True)  # aiohttp's jar ignores IP hosts unless told
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as client,
        client.get(server.make_url("/")) as resp,
    ):
        assert resp.status == 200 and await resp.read() == b"OK"
        morsel = set_cookie_of(resp)
    assert morsel is not None
    assert "last_visit" not in morsel.value  # encrypted, not readable
    assert morsel["httponly"] and morsel["path"] == "/"


@pytest.mark.parametrize(
    "storage",
    [
        SimpleCookieStorage(),
        EncryptedCookieStorage(b"Sixteen byte key"),
        EncryptedCookieStorage(Fernet.generate_key()),
        EncryptedCookieStorage(bytes(range(32))),
    ],
    ids=["simple", "16-byte", "fernet-key", "32-raw"],
)
async def test_counter_roundtrip(aioweb_server, storage: Any) -> None:
    server = await aioweb_server(counter_app(storage))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        for expected in (1, 2, 3):
            async with client.get(server.make_url("/")) as resp:
                assert await resp.json() == {"n": expected, "new": expected == 1}
        # A handler that never touches the session sends no cookie.
        async with client.get(server.make_url("/untouched")) as resp:
            assert "Set-Cookie" not in resp.headers


async def test_login_redirect_carries_cookie_and_logout_deletes_it(aioweb_server) -> None:
    server = await aioweb_server(counter_app(EncryptedCookieStorage(b"Sixteen byte key")))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(server.make_url("/login?user=bob"), allow_redirects=False) as r:
            assert r.status == 302
            assert set_cookie_of(r) is not None  # saved on a *raised* HTTPFound
        async with client.get(server.make_url("/peek")) as r:
            assert await r.json() == {"data": {"user": "bob"}, "new": False}
        async with client.get(server.make_url("/logout")) as r:
            morsel = set_cookie_of(r)
            assert morsel.value == "" and morsel["max-age"] == "0"
        async with client.get(server.make_url("/peek")) as r:
            assert await r.json() == {"data": {}, "new": True}


async def test_session_survives_server_restart(aioweb_server) -> None:
    key = Fernet.generate_key()
    first = await aioweb_server(counter_app(EncryptedCookieStorage(key)))
    async with httpx.AsyncClient() as client:
        resp = await client.get(str(first.make_url("/login?user=carol")))
        cookie = resp.cookies["AIOHTTP_SESSION"]
    await first.close()
    second = await aioweb_server(counter_app(EncryptedCookieStorage(key)))
    async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": cookie}) as client:
        resp = await client.get(str(second.make_url("/peek")))
    assert resp.json() == {"data": {"user": "carol"}, "new": False}


def _tamper(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[40] ^= 1  # a bit in the ciphertext
    return base64.urlsafe_b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    "cookie",
    [
        "garbage",
        "",
        "%%%%",
        "x" * 4000,
        Fernet(Fernet.generate_key()).encrypt(b'{"session": {"user": "x"}}').decode(),
        "TAMPER",
        "EXPIRED",
        "NOT_JSON",
        "JSON_LIST",
    ],
    ids=[
        "garbage",
        "empty",
        "percent",
        "huge",
        "foreign-key",
        "tampered",
        "expired",
        "not-json",
        "json-list",
    ],
)
async def test_bad_encrypted_cookies_give_fresh_session(aioweb_server, cookie: str) -> None:
    key = Fernet.generate_key()
    fernet = Fernet(key)
    good = fernet.encrypt(
        json.dumps({"created": int(time.time()), "session": {"user": "x"}}).encode()
    )
    if cookie == "TAMPER":
        cookie = _tamper(good.decode())
    elif cookie == "EXPIRED":
        payload = json.dumps({"created": int(time.time()) - 7200, "session": {"user": "x"}})
        cookie = fernet.encrypt_at_time(payload.encode(), int(time.time()) - 7200).decode()
    elif cookie == "NOT_JSON":
        cookie = fernet.encrypt(b"{not json").decode()
    elif cookie == "JSON_LIST":
        cookie = fernet.encrypt(b"[1, 2]").decode()
    server = await aioweb_server(counter_app(EncryptedCookieStorage(key, max_age=3600)))
    async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": cookie}) as client:
        resp = await client.get(str(server.make_url("/peek")))
        assert resp.status_code == 200
        assert resp.json() == {"data": {}, "new": True}
        resp = await client.get(str(server.make_url("/")))
        assert resp.status_code == 200 and resp.json()["n"] == 1
    # The genuine cookie still works with the same server.
    async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": good.decode()}) as client:
        resp = await client.get(str(server.make_url("/peek")))
        assert resp.json() == {"data": {"user": "x"}, "new": False}


@pytest.mark.parametrize("cookie", ["{bad json", "[1,2]", '"str"', "null", '{"session": 5}'])
async def test_bad_simple_cookies_give_fresh_session(aioweb_server, cookie: str) -> None:
    server = await aioweb_server(counter_app(SimpleCookieStorage()))
    async with httpx.AsyncClient(cookies={"AIOHTTP_SESSION": cookie}) as client:
        resp = await client.get(str(server.make_url("/peek")))
    assert resp.status_code == 200
    assert resp.json()["data"] == {}


async def test_max_age_sets_cookie_lifetime_and_per_session_override(aioweb_server) -> None:
    async def handler(request):
        session = await get_session(request)
        session["x"] = 1
        if "short" in request.query:
            session.max_age = 60
        return web.Response(text="ok")

    app = web.Application()
    setup(
        app, EncryptedCookieStorage(b"Sixteen byte key", max_age=3600, samesite="Lax", secure=True)
    )
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:
        morsel = set_cookie_of(await client.get(str(server.make_url("/"))))
        assert morsel["max-age"] == "3600"
        assert morsel["expires"]
        assert morsel["samesite"] == "Lax" and morsel["secure"]
        morsel = set_cookie_of(await client.get(str(server.make_url("/?short=1"))))
        assert morsel["max-age"] == "60"


async def test_get_session_without_middleware_is_500_and_server_lives(aioweb_server) -> None:
    async def handler(request):
        await get_session(request)
        return web.Response(text="unreachable")

    app = web.Application()
    app.router.add_get("/", handler)
    app.router.add_get("/ok", lambda r: web.Response(text="ok"))
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:
        resp = await client.get(str(server.make_url("/")))
        assert resp.status_code == 500
        assert (await client.get(str(server.make_url("/ok")))).text == "ok"


async def test_session_in_already_prepared_response_is_refused(aioweb_server) -> None:
    """Headers are gone once a stream starts: saving must fail loudly, not silently drop."""

    async def handler(request):
        resp = web.StreamResponse()
        await resp.prepare(request)
        session = await get_session(request)
        session["late"] = True
        await resp.write(b"partial")
        return resp

    app = web.Application()
    setup(app, SimpleCookieStorage())
    app.router.add_get("/", handler)
    app.router.add_get("/ok", lambda r: web.Response(text="ok"))
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.HTTPError):
            resp = await client.get(str(server.make_url("/")))
            assert "Set-Cookie" not in resp.headers  # if the server finished the body anyway
            raise httpx.HTTPError("no cookie, as expected")
        assert (await client.get(str(server.make_url("/ok")))).text == "ok"


def test_storage_type_checked() -> None:
    with pytest.raises(TypeError):
        session_middleware(object())  # type: ignore[arg-type]
