"""Forged session cookies, against EncryptedCookieStorage on a real server.

The client owns its cookies, so a cookie session is only safe if the server accepts nothing it
did not encrypt and sign itself (Fernet: AES-CBC + HMAC-SHA256). Every other cookie value must
give the handler a fresh, empty, *new* session: never the forged data, never an error page,
never a traceback in the error log. Also: saving a session after the response head is sent
fails loudly (RuntimeError) instead of silently dropping the cookie.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet

from aioweb import web
from aioweb.integrations.session import SESSION_KEY, STORAGE_KEY, get_session, setup
from aioweb.integrations.session.cookie_storage import EncryptedCookieStorage

pytestmark = pytest.mark.timeout(60)

KEY = Fernet.generate_key()
COOKIE = "AIOHTTP_SESSION"


def _payload(user: str = "admin") -> bytes:
    return json.dumps({"created": int(time.time()), "session": {"user": user}}).encode()


def _genuine() -> str:
    return Fernet(KEY).encrypt(_payload()).decode()


def _forged(kind: str) -> str:
    """The forged cookie value for ``kind`` (built at run time; ids stay the stable kinds)."""
    plain = _payload().decode()
    genuine = _genuine()
    raw = base64.urlsafe_b64decode(genuine)
    if kind == "plain-json":
        return plain  # what SimpleCookieStorage would accept
    if kind == "plain-json-base64":
        return base64.urlsafe_b64encode(plain.encode()).decode()
    if kind == "other-key":
        return Fernet(Fernet.generate_key()).encrypt(_payload()).decode()
    if kind == "truncated-tail":
        return genuine[:-10]
    if kind == "truncated-half":
        return genuine[: len(genuine) // 2]
    if kind == "bad-hmac":
        return base64.urlsafe_b64encode(raw[:-1] + bytes([raw[-1] ^ 1])).decode()
    if kind == "flipped-ciphertext":
        mid = len(raw) // 2
        return base64.urlsafe_b64encode(
            raw[:mid] + bytes([raw[mid] ^ 0x80]) + raw[mid + 1 :]
        ).decode()
    if kind == "version-byte-garbage":
        # Passes Fernet's version check (0x80) and length check, then must fail the HMAC.
        return base64.urlsafe_b64encode(b"\x80" + bytes(range(256))[:100]).decode()
    if kind == "base64-garbage":
        return base64.urlsafe_b64encode(b"\x00\xff" * 40).decode()
    if kind == "not-base64":
        return "!!!not*base64~~~"
    if kind == "non-ascii":
        return "gAAAAAB\u00e9\u00e8"
    if kind == "huge":
        return "gAAAAA" + "A" * 8100  # just under the 8190-byte header field limit
    if kind == "empty":
        return ""
    raise AssertionError(kind)


KINDS = [
    "plain-json",
    "plain-json-base64",
    "other-key",
    "truncated-tail",
    "truncated-half",
    "bad-hmac",
    "flipped-ciphertext",
    "version-byte-garbage",
    "base64-garbage",
    "not-base64",
    "non-ascii",
    "huge",
    "empty",
]


def session_app() -> web.Application:
    async def whoami(request: web.Request) -> web.Response:
        session = await get_session(request)
        return web.json_response({"data": dict(session), "new": session.new})

    async def login(request: web.Request) -> web.Response:
        session = await get_session(request)
        session["user"] = "guest"
        return web.json_response({"data": dict(session), "new": session.new})

    app = web.Application()
    setup(app, EncryptedCookieStorage(KEY, max_age=3600))
    app.router.add_get("/whoami", whoami)
    app.router.add_get("/login", login)
    return app


async def _get(server: Any, path: str, cookie: str) -> tuple[int, Any, list[str]]:
    """GET with the cookie sent byte for byte (no jar that could reject or re-quote it)."""
    headers = {"Cookie": f"{COOKIE}={cookie}"}
    async with (
        aiohttp.ClientSession() as client,
        client.get(server.make_url(path), headers=headers) as resp,
    ):
        body = await resp.json() if resp.status == 200 else await resp.text()
        return resp.status, body, resp.headers.getall("Set-Cookie", [])


@pytest.mark.parametrize("kind", KINDS)
async def test_forged_cookie_gives_fresh_empty_session(aioweb_server, caplog, kind: str) -> None:
    server = await aioweb_server(session_app())
    forged = _forged(kind)
    with caplog.at_level(logging.WARNING):
        status, body, set_cookies = await _get(server, "/whoami", forged)
        assert status == 200, body
        assert body == {"data": {}, "new": True}
        assert set_cookies == []  # untouched session: nothing written back
        # A handler that writes gets a fresh session and a new cookie, not the forged data.
        status, body, set_cookies = await _get(server, "/login", forged)
        assert status == 200 and body == {"data": {"user": "guest"}, "new": True}
        assert len(set_cookies) == 1 and "admin" not in set_cookies[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_genuine_cookie_is_accepted(aioweb_server) -> None:
    """The control case: the same request with a cookie the server made is trusted."""
    server = await aioweb_server(session_app())
    status, body, _ = await _get(server, "/whoami", _genuine())
    assert status == 200 and body == {"data": {"user": "admin"}, "new": False}


async def test_saving_into_prepared_response_fails_loudly(aioweb_server, caplog) -> None:
    """The middleware refuses to save after ``prepare()``: the RuntimeError reaches the
    server's error log and the stream is cut (the client sees an unfinished body), instead
    of a 200 that silently lost the cookie."""

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        session = await get_session(request)
        session["late"] = True
        await resp.write(b"partial")
        return resp

    app = web.Application()
    setup(app, EncryptedCookieStorage(KEY))
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    with caplog.at_level(logging.ERROR):
        async with aiohttp.ClientSession() as client:
            with pytest.raises(aiohttp.ClientPayloadError):
                async with client.get(server.make_url("/")) as resp:
                    assert "Set-Cookie" not in resp.headers
                    await resp.read()
    errors = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert errors and "prepare" in str(errors[0].exc_info[1])


async def test_storage_save_session_on_prepared_response_raises(aioweb_server) -> None:
    """Code that calls ``storage.save_session`` itself gets the same RuntimeError."""

    async def handler(request: web.Request) -> web.StreamResponse:
        session = await get_session(request)
        session["x"] = 1
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            await request[STORAGE_KEY].save_session(request, resp, request[SESSION_KEY])
        except RuntimeError as exc:
            await resp.write(f"refused: {exc}".encode())
        request[SESSION_KEY]._changed = False  # already handled here
        return resp

    app = web.Application()
    setup(app, EncryptedCookieStorage(KEY))
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    async with aiohttp.ClientSession() as client, client.get(server.make_url("/")) as resp:
        text = await resp.text()
        assert "Set-Cookie" not in resp.headers
    assert text.startswith("refused:") and "already prepared" in text
