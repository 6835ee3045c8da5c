"""The test client is aiohttp's: ``TestClient`` and ``aiohttp_client`` hand tests a real
``aiohttp.ClientSession`` aimed at an aioweb server on a real socket.

Each test checks a behaviour a ported aiohttp suite relies on and a hand-written client gets
wrong: the cookie jar's Domain/Path rules, ``FormData`` uploads, ``ws_connect``, request calls
usable in ``asyncio.create_task``, and what ``close()`` closes.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import unittest

import aiohttp
import pytest

from aioweb import web
from aioweb.test_utils import AioHTTPTestCase, RawTestServer, TestClient, TestServer

pytestmark = pytest.mark.timeout(60)


def cookie_app() -> web.Application:
    async def set_cookies(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        resp.set_cookie("everywhere", "1")
        resp.set_cookie("admin_only", "2", path="/admin")
        resp.set_cookie("other_site", "3", domain="example.com")  # not ours: the jar refuses it
        return resp

    async def echo_cookies(request: web.Request) -> web.Response:
        return web.json_response(dict(request.cookies))

    app = web.Application()
    app.router.add_get("/set", set_cookies)
    app.router.add_get("/show", echo_cookies)
    app.router.add_get("/admin/show", echo_cookies)
    return app


async def test_cookie_jar_applies_domain_and_path_rules() -> None:
    async with TestClient(TestServer(cookie_app())) as client:
        assert isinstance(client.session, aiohttp.ClientSession)
        assert isinstance(client.session.cookie_jar, aiohttp.CookieJar)
        resp = await client.get("/set")
        assert isinstance(resp, aiohttp.ClientResponse)
        assert {c.key for c in client.session.cookie_jar} == {"everywhere", "admin_only"}
        assert await (await client.get("/show")).json() == {"everywhere": "1"}
        assert await (await client.get("/admin/show")).json() == {
            "everywhere": "1",
            "admin_only": "2",
        }


async def test_formdata_upload_reaches_the_handler() -> None:
    async def upload(request: web.Request) -> web.Response:
        form = await request.post()
        field = form["file"]
        assert isinstance(field, web.FileField)
        return web.json_response(
            {
                "name": form["name"],
                "filename": field.filename,
                "type": field.content_type,
                "body": field.file.read().decode(),
            }
        )

    app = web.Application()
    app.router.add_post("/upload", upload)
    async with TestClient(TestServer(app)) as client:
        data = aiohttp.FormData()
        data.add_field("name", "report")
        data.add_field("file", b"line 1\nline 2\n", filename="r.txt", content_type="text/plain")
        resp = await client.post("/upload", data=data)
        assert resp.status == 200
        assert await resp.json() == {
            "name": "report",
            "filename": "r.txt",
            "type": "text/plain",
            "body": "line 1\nline 2\n",
        }


async def test_ws_connect_is_aiohttps_and_is_closed_with_the_client() -> None:
    server_saw: list[int | None] = []

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(f"echo:{msg.data}")
        server_saw.append(ws.close_code)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    async with TestClient(TestServer(app)) as client:
        async with client.ws_connect("/ws") as ws:
            assert isinstance(ws, aiohttp.ClientWebSocketResponse)
            await ws.send_str("hi")
            assert await ws.receive_str() == "echo:hi"
        assert ws.closed
        kept_open = await client.ws_connect("/ws")
        await kept_open.send_str("again")
        assert await kept_open.receive_str() == "echo:again"
    assert kept_open.closed  # close() closed the WebSocket the test left open
    assert server_saw == [1000, 1000]


async def test_requests_are_coroutines_usable_in_create_task() -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text=request.match_info["n"])

    app = web.Application()
    app.router.add_get("/n/{n}", slow)
    async with TestClient(TestServer(app)) as client:
        tasks = [asyncio.create_task(client.get(f"/n/{n}")) for n in range(3)]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in tasks)  # all three are in flight at once
        release.set()
        responses = await asyncio.gather(*tasks)
        assert [await r.text() for r in responses] == ["0", "1", "2"]
        async with client.get("/n/7") as resp:  # the context-manager form releases on exit
            assert await resp.text() == "7"
        assert resp.closed


async def test_client_and_server_api() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.method} {request.path_qs}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app)
    client = TestClient(server)
    with pytest.raises(TypeError), client:
        pass
    await client.start_server()
    assert client.server is server and client.app is app
    assert client.host == "127.0.0.1" and client.port == server.port
    assert client.make_url("/a?b=1") == server.make_url("/a?b=1")
    assert str(client.make_url("/x")) == f"http://127.0.0.1:{server.port}/x"
    for method in ("get", "post", "put", "patch", "delete", "options"):
        resp = await getattr(client, method)("/p", params={"q": "1"})
        assert await resp.text() == f"{method.upper()} /p?q=1"
    assert (await client.head("/p")).status == 200
    resp = await client.request("PROPFIND", "/p")
    assert await resp.text() == "PROPFIND /p"
    unread = await client.get("/unread")  # never read: close() must close it
    await client.close()
    await client.close()  # idempotent
    assert server.closed and client.session.closed and unread.closed


async def test_raw_test_server_and_a_custom_cookie_jar() -> None:
    async def handler(request: web.BaseRequest) -> web.Response:
        resp = web.Response(text=request.path)
        resp.set_cookie("k", "v")
        return resp

    jar = aiohttp.DummyCookieJar()
    async with TestClient(RawTestServer(handler), cookie_jar=jar) as client:
        assert client.app is None
        assert await (await client.get("/raw")).text() == "/raw"
        assert client.session.cookie_jar is jar and len(jar) == 0


class _Case(AioHTTPTestCase):
    async def get_application(self) -> web.Application:
        async def hello(request: web.Request) -> web.Response:
            return web.Response(text="from a unittest case")

        app = web.Application()
        app.router.add_get("/", hello)
        return app

    async def test_hello(self) -> None:
        async with self.client.get("/") as resp:
            assert await resp.text() == "from a unittest case"
        assert self.client.app is self.app


def test_aiohttp_test_case_runs_under_unittest() -> None:
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(_Case).run(result)
    assert result.testsRun == 1
    assert not result.errors and not result.failures, result.errors + result.failures


def test_without_aiohttp_the_client_says_what_to_install() -> None:
    """Decision (docs/compat.md): no second, hand-written client; an ImportError that says
    ``pip install 'aioweb[test]'``; servers, mocked requests and the plugin still import."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["aiohttp"] = None  # as if aiohttp were not installed
        import aioweb.pytest_plugin
        from aioweb import web
        from aioweb.test_utils import TestClient, TestServer, make_mocked_request
        assert make_mocked_request("GET", "/").path == "/"
        try:
            TestClient(TestServer(web.Application()))
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "ImportError:" in result.stdout and "aioweb[test]" in result.stdout
