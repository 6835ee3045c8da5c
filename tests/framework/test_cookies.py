"""Cookies on a real server: request.cookies, set_cookie with every attribute, del_cookie.

The Set-Cookie lines are checked as sent on the wire (raw socket), and parsed back by two
independent cookie jars: httpx's (the stdlib's http.cookiejar) and aiohttp's.
"""

from __future__ import annotations

import aiohttp
import httpx
import pytest
from bodies_util import raw_request, run, serve
from yarl import URL

from aioweb import web

pytestmark = pytest.mark.timeout(60)


def cookie_app() -> web.Application:
    async def set_all(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        resp.set_cookie(
            "full",
            "v1",
            expires="Wed, 21 Oct 2037 07:28:00 GMT",
            domain="127.0.0.1",
            max_age=3600,
            path="/",
            secure=True,
            httponly=True,
            samesite="Strict",
        )
        resp.set_cookie("plain", "p")
        resp.set_cookie("lax", "l", samesite="Lax", httponly=True)
        resp.set_cookie("scoped", "s", path="/only/here")
        resp.set_cookie("spaced", 'a b;c,d"e')
        return resp

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(dict(request.cookies))

    async def delete(request: web.Request) -> web.Response:
        resp = web.Response(text="deleted")
        resp.del_cookie("plain")
        resp.del_cookie("scoped", path="/only/here")
        return resp

    app = web.Application()
    app.router.add_get("/set", set_all)
    app.router.add_get("/echo", echo)
    app.router.add_get("/only/here/echo", echo)
    app.router.add_get("/delete", delete)
    return app


def set_cookie_lines(raw: bytes) -> dict[str, str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = [line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:]
             if line.lower().startswith("set-cookie:")]  # fmt: skip
    return {line.split("=", 1)[0]: line for line in lines}


def test_set_cookie_attributes_on_the_wire() -> None:
    async def main() -> None:
        async with serve(cookie_app()) as base:
            raw = await raw_request(
                base, b"GET /set HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            lines = set_cookie_lines(raw)
            full = [a.strip().lower() for a in lines["full"].split(";")]
            assert full[0] == "full=v1"
            assert "expires=wed, 21 oct 2037 07:28:00 gmt" in full
            assert "domain=127.0.0.1" in full
            assert "max-age=3600" in full
            assert "path=/" in full
            assert "secure" in full
            assert "httponly" in full
            assert "samesite=strict" in full
            plain = [a.strip().lower() for a in lines["plain"].split(";")]
            assert plain == ["plain=p", "path=/"]
            assert "samesite=lax" in lines["lax"].lower()
            assert "path=/only/here" in lines["scoped"].lower()
            # a value that needs quoting is quoted, never splitting the header
            assert lines["spaced"].startswith('spaced="')

            raw = await raw_request(
                base, b"GET /delete HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            lines = set_cookie_lines(raw)
            gone = [a.strip().lower() for a in lines["plain"].split(";")]
            assert gone[0] in ("plain=", 'plain=""')
            assert "max-age=0" in gone
            assert "expires=thu, 01 jan 1970 00:00:00 gmt" in gone
            assert "path=/only/here" in lines["scoped"].lower()

    run(main())


def test_cookies_round_trip_with_httpx() -> None:
    async def main() -> None:
        async with serve(cookie_app()) as base, httpx.AsyncClient() as client:
            await client.get(f"{base}/set")
            # "full" is Secure: a plain-http client must not send it back
            got = (await client.get(f"{base}/echo")).json()
            assert got == {"plain": "p", "lax": "l", "spaced": 'a b;c,d"e'}
            got = (await client.get(f"{base}/only/here/echo")).json()
            assert got["scoped"] == "s"
            await client.get(f"{base}/delete")
            got = (await client.get(f"{base}/echo")).json()
            assert "plain" not in got and got["lax"] == "l"
            assert "scoped" not in (await client.get(f"{base}/only/here/echo")).json()

    run(main())


def test_cookies_round_trip_with_aiohttp() -> None:
    async def main() -> None:
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for an IP address host
        async with serve(cookie_app()) as base, aiohttp.ClientSession(cookie_jar=jar) as session:
            async with session.get(f"{base}/set") as resp:
                assert resp.cookies["full"]["samesite"] == "Strict"
                assert resp.cookies["full"]["max-age"] == "3600"
                assert resp.cookies["full"]["httponly"]
                assert resp.cookies["full"]["secure"]
            filtered = jar.filter_cookies(URL(f"{base}/echo"))
            assert "full" not in filtered  # Secure, and this is http
            async with session.get(f"{base}/echo") as resp:
                got = await resp.json()
            assert got["plain"] == "p" and got["spaced"] == 'a b;c,d"e'

    run(main())


def test_request_cookie_parsing_is_lenient_and_safe() -> None:
    async def main() -> None:
        async with serve(cookie_app()) as base:
            raw = await raw_request(
                base,
                b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b'Cookie: a=1; b="quoted"; bad cookie; c=3=3; =novalue; d=\r\n\r\n',
            )
            assert raw.startswith(b"HTTP/1.1 200")
            body = raw.split(b"\r\n\r\n", 1)[1]
            import json

            got = json.loads(body)
            assert got["a"] == "1" and got["b"] == "quoted" and got["c"] == "3=3"

    run(main())
