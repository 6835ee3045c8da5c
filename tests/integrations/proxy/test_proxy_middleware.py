"""The trusted-proxy middleware on a real server, with httpx connecting from chosen addresses.

The loopback range gives distinct peers: 127.0.0.2 plays the proxy, 127.0.0.1 a client that
connects directly; ::1 checks IPv6 peers.
"""

from __future__ import annotations

import httpx
import pytest

from aioweb import web
from aioweb.integrations import proxy
from aioweb.tooling.test_utils import TestServer


async def whoami(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "remote": request.remote,
            "scheme": request.scheme,
            "host": request.host,
            "url": str(request.url),
            "secure": request.secure,
            "seen_by_mw": request.get("seen_by_mw"),
        }
    )


@web.middleware
async def later_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    request["seen_by_mw"] = request.remote
    return await handler(request)


def make_app(trusted: object, headers: str = "x-forwarded") -> web.Application:
    app = web.Application(middlewares=[later_middleware])
    proxy.setup(app, trusted, headers=headers)  # type: ignore[arg-type]
    app.router.add_get("/whoami", whoami)
    return app


async def get(
    server: TestServer, local: str, headers: dict[str, str], path: str = "/whoami"
) -> httpx.Response:
    host = f"[{server.host}]" if ":" in server.host else server.host
    transport = httpx.AsyncHTTPTransport(local_address=local)
    async with httpx.AsyncClient(transport=transport, timeout=10) as client:
        return await client.get(f"http://{host}:{server.port}{path}", headers=headers)


@pytest.fixture
async def server():  # type: ignore[no-untyped-def]
    server = TestServer(make_app("127.0.0.2"))
    await server.start_server()
    yield server
    await server.close()


FORWARDED = {
    "X-Forwarded-For": "203.0.113.50",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "shop.example",
}


async def test_trusted_peer_headers_are_applied_before_later_middlewares(server) -> None:  # type: ignore[no-untyped-def]
    seen = (await get(server, "127.0.0.2", FORWARDED)).json()
    assert seen == {
        "remote": "203.0.113.50",
        "scheme": "https",
        "host": "shop.example",
        "url": "https://shop.example/whoami",
        "secure": True,
        "seen_by_mw": "203.0.113.50",
    }


async def test_untrusted_peer_headers_are_ignored(server) -> None:  # type: ignore[no-untyped-def]
    seen = (await get(server, "127.0.0.1", FORWARDED)).json()
    assert seen["remote"] == "127.0.0.1"
    assert seen["scheme"] == "http"
    assert seen["host"] == f"127.0.0.1:{server.port}"


async def test_untrusted_peer_junk_is_not_even_parsed(server) -> None:  # type: ignore[no-untyped-def]
    response = await get(server, "127.0.0.1", {"X-Forwarded-For": "junk", "Forwarded": ";;;"})
    assert response.status_code == 200
    assert response.json()["remote"] == "127.0.0.1"


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"X-Forwarded-For": "junk"}, "X-Forwarded-For"),
        ({"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "h t"}, "X-Forwarded"),
        ({"X-Forwarded-Host": "a b"}, "X-Forwarded"),
    ],
)
async def test_malformed_header_from_trusted_peer_is_400(server, headers, named) -> None:  # type: ignore[no-untyped-def]
    response = await get(server, "127.0.0.2", headers)
    assert response.status_code == 400
    assert named in response.text


async def test_trusted_peer_without_headers_changes_nothing(server) -> None:  # type: ignore[no-untyped-def]
    seen = (await get(server, "127.0.0.2", {})).json()
    assert seen["remote"] == "127.0.0.2"
    assert seen["scheme"] == "http"


async def test_rfc7239_mode_reads_only_forwarded() -> None:
    server = TestServer(make_app(["127.0.0.2"], headers="forwarded"))
    await server.start_server()
    try:
        headers = {
            "Forwarded": 'for="[2001:db8::9]:5000";proto=https;host=api.example',
            "X-Forwarded-For": "9.9.9.9",
        }
        seen = (await get(server, "127.0.0.2", headers)).json()
        assert seen["remote"] == "2001:db8::9"
        assert seen["url"] == "https://api.example/whoami"
        only_xff = (await get(server, "127.0.0.2", {"X-Forwarded-For": "9.9.9.9"})).json()
        assert only_xff["remote"] == "127.0.0.2"
    finally:
        await server.close()


async def test_ipv6_peer_and_network() -> None:
    # (TestServer binds IPv4 only, so this one uses a runner and a site directly.)
    runner = web.AppRunner(make_app("::1/128"))
    await runner.setup()
    site = web.TCPSite(runner, "::1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        transport = httpx.AsyncHTTPTransport(local_address="::1")
        async with httpx.AsyncClient(transport=transport, timeout=10) as client:
            response = await client.get(
                f"http://[::1]:{port}/whoami", headers={"X-Forwarded-For": "2001:db8::1, ::1"}
            )
        # ::1 is itself a trusted proxy, so the walk goes one further left.
        assert response.json()["remote"] == "2001:db8::1"
    finally:
        await runner.cleanup()


async def test_setup_puts_the_middleware_first() -> None:
    app = make_app("127.0.0.2")
    assert app.middlewares[0].trusted.__class__ is proxy.TrustedProxies  # type: ignore[union-attr]
    assert app.middlewares[1] is later_middleware


def test_bad_configuration_fails_early() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        proxy.proxy_middleware("nginx.internal")
    with pytest.raises(ValueError, match="headers must be"):
        proxy.proxy_middleware("127.0.0.1", headers="both")  # type: ignore[arg-type]


def test_clone_keeps_parsed_headers_unless_they_change() -> None:
    # The middleware's clone must not make the handler parse the headers a second time.
    from aioweb.tooling.test_utils import make_mocked_request

    request = make_mocked_request("GET", "/", headers={"X-Forwarded-For": "1.2.3.4", "A": "1"})
    headers = request.headers
    clone = request.clone(remote="1.2.3.4", scheme="https", host="h.example")
    assert clone.headers is headers
    assert (clone.remote, clone.scheme, clone.host) == ("1.2.3.4", "https", "h.example")
    assert str(clone.url) == "https://h.example/"
    changed = request.clone(headers={"A": "2"})
    assert changed.headers["A"] == "2"
    assert request.headers["A"] == "1"
