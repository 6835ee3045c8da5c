"""Debug mode: the traceback page and the request inspector, on a real server."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest

from aioweb import web
from aioweb.framework.debug import is_local_request, setup
from aioweb.tooling.test_utils import make_mocked_request

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def inner_helper(value: str) -> None:
    secret_local = f"local-{value}"  # noqa: F841 - shown among the frame's locals
    raise ValueError(f"boom <b>{value}</b>")


def crashing_app(debug: bool) -> web.Application:
    async def crash(request):
        inner_helper(request.match_info["id"])
        return web.Response(text="unreachable")

    async def chained(request):
        try:
            {}["missing"]
        except KeyError as exc:
            raise RuntimeError("while handling") from exc
        return web.Response()

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no str for you")

    async def weird(request):
        class BadRepr:
            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        bad = BadRepr()  # noqa: F841
        raise Unprintable()

    async def ok(request):
        return web.Response(text="fine")

    app = web.Application(debug=debug)
    app.router.add_get("/crash/{id}", crash, name="crasher")
    app.router.add_get("/chained", chained)
    app.router.add_get("/weird", weird)
    app.router.add_get("/ok", ok)
    return app


async def get(server: Any, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(str(server.make_url(path)), **kwargs)


async def test_debug_page_shows_traceback_request_and_route(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    resp = await get(server, "/crash/7?q=needle&q=2", headers={**HTML, "X-Probe": "probe-value"})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("text/html")
    assert resp.headers["cache-control"] == "no-store"
    page = resp.text
    for needle in (
        "ValueError",
        "boom &lt;b&gt;7&lt;/b&gt;",  # the message is escaped, never markup
        "inner_helper",
        "secret_local",
        "&#x27;local-7&#x27;",  # a local's repr
        "raise ValueError(f&quot;boom",  # the source line
        "GET /crash/7?q=needle&amp;q=2 HTTP/1.1",
        "X-Probe",
        "probe-value",
        "needle",
        "/crash/{id}",
        "crasher",
        "match_info[&#x27;id&#x27;]",
        "tests/framework/test_debug.py",
    ):
        assert needle in page, needle
    assert "<b>7</b>" not in page


async def test_plain_text_for_non_browsers(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    resp = await get(server, "/crash/x", headers={"Accept": "*/*"})
    assert resp.status_code == 500
    assert resp.headers["content-type"].startswith("text/plain")
    assert "Traceback (most recent call last)" in resp.text
    assert "ValueError: boom <b>x</b>" in resp.text
    assert "GET /crash/x HTTP/1.1" in resp.text


async def test_chained_and_unprintable_exceptions(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    page = (await get(server, "/chained", headers=HTML)).text
    assert page.index("KeyError") < page.index("RuntimeError: while handling")
    assert "direct cause" in page
    resp = await get(server, "/weird", headers=HTML)
    assert resp.status_code == 500
    assert "Unprintable" in resp.text and "repr failed" in resp.text
    assert (await get(server, "/ok")).text == "fine"


async def test_no_details_without_debug(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=False))
    for path in ("/crash/7", "/chained", "/weird"):
        for headers in (HTML, {"Accept": "*/*"}):
            resp = await get(server, path, headers=headers)
            assert resp.status_code == 500
            assert "Traceback" not in resp.text and "boom" not in resp.text
            assert "inner_helper" not in resp.text
    assert (await get(server, "/_aioweb/requests")).status_code == 404


async def test_http_exceptions_are_not_debug_pages(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    resp = await get(server, "/nope", headers=HTML)
    assert resp.status_code == 404 and "Traceback" not in resp.text


async def test_inspector_lists_recent_requests(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    await get(server, "/ok?a=1")
    await get(server, "/nope")
    await get(server, "/crash/3")
    records = (await get(server, "/_aioweb/requests/json")).json()
    assert [(r["path"], r["status"]) for r in records] == [
        ("/crash/3", 500),
        ("/nope", 404),
        ("/ok?a=1", 200),
    ]
    crash = records[0]
    assert crash["error"] == "ValueError: boom <b>3</b>"
    assert "inner_helper" in crash["traceback"]
    assert ["a", "1"] in records[2]["query"]
    assert records[2]["duration_ms"] >= 0
    listing = await get(server, "/_aioweb/requests")
    assert listing.status_code == 200 and "/crash/3" in listing.text
    assert listing.headers["cache-control"] == "no-store"
    detail = await get(server, f"/_aioweb/requests/{crash['id']}")
    assert "ValueError: boom &lt;b&gt;3&lt;/b&gt;" in detail.text
    assert (await get(server, "/_aioweb/requests/999999")).status_code == 404
    assert (await get(server, "/_aioweb/requests/zzz")).status_code == 404
    async with httpx.AsyncClient() as client:
        resp = await client.post(str(server.make_url("/_aioweb/requests")))
    assert resp.status_code == 405


@pytest.mark.parametrize(
    "header", ["X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host"]
)
async def test_inspector_refuses_proxied_requests(aioweb_server, header: str) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    await get(server, "/ok")
    resp = await get(server, "/_aioweb/requests/json", headers={header: "for=203.0.113.9"})
    assert resp.status_code == 404
    assert "/ok" not in resp.text


async def test_inspector_configurable_path_and_size(aioweb_server) -> None:
    app = crashing_app(debug=False)
    setup(app, path="/_debug/reqs", max_requests=3)
    server = await aioweb_server(app)
    for i in range(5):
        await get(server, f"/ok?i={i}")
    records = (await get(server, "/_debug/reqs/json")).json()
    assert [r["path"] for r in records] == ["/ok?i=4", "/ok?i=3", "/ok?i=2"]
    assert (await get(server, "/_aioweb/requests")).status_code == 404


def test_inspector_rejects_bad_settings() -> None:
    for kwargs in ({"path": "relative"}, {"path": "/trailing/"}, {"max_requests": 0}):
        with pytest.raises(ValueError):
            setup(web.Application(), **kwargs)  # type: ignore[arg-type]


async def test_inspector_over_ipv6_loopback() -> None:
    try:
        sock = socket.socket(socket.AF_INET6)
        sock.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    app = crashing_app(debug=True)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        port = sock.getsockname()[1]
        async with httpx.AsyncClient() as client:
            await client.get(f"http://[::1]:{port}/ok")
            resp = await client.get(f"http://[::1]:{port}/_aioweb/requests/json")
        assert resp.status_code == 200 and json.loads(resp.text)[0]["path"] == "/ok"
    finally:
        await runner.cleanup()


class _Transport:
    """A transport stand-in: the one case the rules forbid reaching with a real socket is a
    non-loopback peer (tests may only talk to loopback)."""

    def __init__(self, peer: Any) -> None:
        self.peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.peer if name == "peername" else default

    def is_closing(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("peer", "local"),
    [
        (("127.0.0.1", 1), True),
        (("127.8.9.1", 1), True),
        (("::1", 1, 0, 0), True),
        (("::ffff:127.0.0.1", 1, 0, 0), True),
        (("203.0.113.5", 1), False),
        (("10.0.0.1", 1), False),
        (("::ffff:10.0.0.1", 1, 0, 0), False),
        (("fe80::1%eth0", 1, 0, 2), False),
        (("not-an-ip", 1), False),
    ],
)
def test_is_local_request_by_peer_address(peer: Any, local: bool) -> None:
    request = make_mocked_request("GET", "/", transport=_Transport(peer))
    assert is_local_request(request) is local


async def test_debug_server_survives_many_crashes(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    async with httpx.AsyncClient() as client:
        results = await asyncio.gather(
            *(client.get(str(server.make_url(f"/crash/{i}")), headers=HTML) for i in range(40))
        )
    assert {r.status_code for r in results} == {500}
    assert (await get(server, "/ok")).text == "fine"
    # The inspector keeps only the last 100 requests.
    assert len((await get(server, "/_aioweb/requests/json")).json()) <= 100


APP_MODULE = """
from aioweb import web

async def crash(request):
    raise LookupError("cli-crash")

def make_app(argv=None):
    app = web.Application()
    app.router.add_get("/crash", crash)
    return app
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("debug", [True, False])
def test_cli_debug_flag(tmp_path: Any, debug: bool) -> None:
    import os
    import subprocess
    import sys
    import time

    from aioweb.tooling.test_utils import unused_port

    (tmp_path / "crashapp.py").write_text(APP_MODULE)
    port = unused_port()
    cmd = [sys.executable, "-m", "aioweb", "crashapp:make_app", "--port", str(port)]
    if debug:
        cmd.append("--debug")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.getcwd()}"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/crash", headers=HTML, timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert resp.status_code == 500
        assert ("cli-crash" in resp.text) is debug
        assert ("LookupError" in resp.text) is debug
        inspector = httpx.get(f"http://127.0.0.1:{port}/_aioweb/requests/json", timeout=2)
        if debug:
            assert inspector.json()[0]["error"] == "LookupError: cli-crash"
        else:
            assert inspector.status_code == 404
    finally:
        proc.terminate()
        proc.wait(10)


async def test_inspector_records_are_bounded(aioweb_server) -> None:
    server = await aioweb_server(crashing_app(debug=True))
    await get(server, "/ok", headers={"X-Big": "b" * 6000}, params={"q": "q" * 6000})
    record = (await get(server, "/_aioweb/requests/json")).json()[0]
    big = dict(record["headers"])["X-Big"]
    assert big.startswith("b" * 4096) and big.endswith("(6000 chars)")
    assert dict(record["query"])["q"].endswith("(6000 chars)")


async def test_subapp_errors_get_the_page_of_a_debug_root(aioweb_server) -> None:
    async def crash(request):
        raise ValueError("sub-crash")

    root = web.Application(debug=True)
    sub = web.Application()
    sub.router.add_get("/x", crash, name="sub-x")
    root.add_subapp("/sub", sub)
    server = await aioweb_server(root)
    resp = await get(server, "/sub/x", headers=HTML)
    assert resp.status_code == 500 and "sub-crash" in resp.text and "sub-x" in resp.text
    records = (await get(server, "/_aioweb/requests/json")).json()
    assert records[0]["path"] == "/sub/x" and records[0]["status"] == 500
