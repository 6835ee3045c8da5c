"""Behaviour of the aiohttp.web names added last: typed keys, CleanupError, json_bytes_response,
RequestPayloadError, PayloadAccessError, RequestHandler and NamedPipeSite.

Each is exercised through a real server and a real client (raw sockets where the bytes must
be malformed); where aiohttp's own behaviour is the reference, the same scenario also runs on
aiohttp (installed for the tests) and the two are compared.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import re
import subprocess
import sys
import uuid
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp.web as aiohttp_web
import httpx
import pytest
from foundation_util import open_raw, read_response

from aioweb import web
from aioweb.server.protocol import HttpProtocol
from aioweb.tooling.test_utils import make_mocked_request


def _unique(prefix: str) -> str:
    """A storage key name never used before: plain keys warn once per process."""
    return f"{prefix}-{uuid.uuid4().hex}"


def _not_app_key_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, web.NotAppKeyWarning)]


# -- typed keys ----------------------------------------------------------------------------


async def test_typed_keys_through_a_real_exchange(aiohttp_client: Any) -> None:
    user_key = web.RequestKey("user", str)
    timing_key = web.ResponseKey("timing", float)
    hits_key = web.AppKey("hits", list)
    seen: list[Any] = []

    @web.middleware
    async def auth(request: web.Request, handler: Any) -> web.StreamResponse:
        request[user_key] = request.headers.get("X-User", "anonymous")
        response = await handler(request)
        seen.append(response[timing_key])
        response.headers["X-Timing"] = str(response[timing_key])
        return response

    async def handler(request: web.Request) -> web.Response:
        request.app[hits_key].append(1)
        response = web.Response(text=f"hello {request[user_key]}")
        response[timing_key] = 0.25
        return response

    app = web.Application(middlewares=[auth])
    app[hits_key] = []
    app.router.add_get("/", handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = await aiohttp_client(app)
        resp = await client.get("/", headers={"X-User": "ada"})
        assert resp.status == 200
        assert await resp.text() == "hello ada"
        assert resp.headers["X-Timing"] == "0.25"
    assert seen == [0.25]
    assert app[hits_key] == [1]
    assert _not_app_key_warnings(caught) == []  # typed keys never warn


async def test_plain_keys_warn_as_aiohttp_does(aiohttp_client: Any) -> None:
    """App: every plain store warns.  Request/response: once per distinct key (a new request
    is made for each exchange), and a key of the wrong kind (an AppKey on a request) warns."""
    request_name = _unique("req")
    response_name = _unique("resp")
    wrong_kind = web.AppKey(_unique("appkey-on-request"), int)

    async def handler(request: web.Request) -> web.Response:
        request[request_name] = 1
        request[wrong_kind] = 2
        response = web.Response(text=str(request[request_name] + request[wrong_kind]))
        response[response_name] = 3
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app["plain"] = 1
        app["plain"] = 2
        client = await aiohttp_client(app)
        for _ in range(3):
            resp = await client.get("/")
            assert await resp.text() == "3"
    messages = _not_app_key_warnings(caught)
    assert sum("'plain'" in m and "web.AppKey" in m for m in messages) == 2
    assert sum(request_name in m and "web.RequestKey" in m for m in messages) == 1
    assert sum(repr(wrong_kind) in m and "web.RequestKey" in m for m in messages) == 1
    assert sum(response_name in m and "web.ResponseKey" in m for m in messages) == 1
    assert app["plain"] == 2  # warned, still stored


def test_warnings_name_the_applications_line() -> None:
    """The warnings of app and request storage point at the line that stored the key, whether
    aioweb runs compiled (no frames of its own) or from source."""
    app = web.Application()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app["plain"] = 1
        line = sys._getframe().f_lineno - 1
        app.freeze()
        app["late"] = 2
    assert [(w.filename, w.lineno) for w in caught] == [
        (__file__, line),
        (__file__, line + 3),  # deprecated change of a frozen app
        (__file__, line + 3),  # ... and a plain key
    ]


def test_storage_setdefault_warns_at_the_callers_line() -> None:
    request = make_mocked_request("GET", "/")
    key = _unique("setdefault")  # (a plain key: warned about once)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert request.setdefault(key, []) == []
        line = sys._getframe().f_lineno - 1
        request.setdefault(key, [1]).append(2)  # present: no warning, the stored value
    assert request[key] == [2]
    plain_key_warnings = [w for w in caught if issubclass(w.category, web.NotAppKeyWarning)]
    assert [(w.filename, w.lineno) for w in plain_key_warnings] == [(__file__, line)]


def _run_storing_plain_keys(module: str, *flags: str) -> str:
    code = f"import {module} as web\napp = web.Application()\napp['plain'] = 1\n"
    proc = subprocess.run(
        [sys.executable, *flags, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("module", ["aioweb.web", "aiohttp.web"])
def test_not_app_key_warning_is_silent_unless_warnings_are_on(module: str) -> None:
    assert "NotAppKeyWarning" not in _run_storing_plain_keys(module)
    assert "NotAppKeyWarning" in _run_storing_plain_keys(module, "-W", "default")


def test_key_objects() -> None:
    a = web.RequestKey("a", int)
    a_again = web.RequestKey("a", int)
    assert a != a_again and len({a, a_again}) == 2  # identity, never the name
    assert web.RequestKey[list[int]]("ids") is not None

    # The repr names the module whose top-level code made the key, as aiohttp's does (from a
    # test function: the module pytest runs as); stripped here.
    def bare(key: object) -> str:
        return re.sub(r"\((?:[\w.]*\.)?(\w+), ", r"(\1, ", repr(key))

    assert bare(web.RequestKey[list[int]]("ids")) == "<RequestKey(ids, type=list[int])>"
    assert bare(web.ResponseKey("t", float)) == "<ResponseKey(t, type=float)>"
    assert (
        bare(web.AppKey("db", web.Request)) == "<AppKey(db, type=aioweb.framework.request.Request)>"
    )
    assert bare(web.RequestKey("x")) == "<RequestKey(x, type=<<Unknown>>)>"
    keys = [web.RequestKey("b"), web.RequestKey("a")]
    assert [k.name for k in sorted(keys)] == ["a", "b"]  # typed keys order by name...
    assert web.RequestKey("z") < "plain"  # ...and before plain keys
    assert not isinstance(web.AppKey("k"), web.RequestKey)
    with pytest.raises(AttributeError):
        web.RequestKey("slots").extra = 1  # type: ignore[attr-defined]


# -- CleanupError ----------------------------------------------------------------------------


async def _cleanup_outcome(web_module: Any) -> tuple[str, list[str], list[str]]:
    """Three cleanup contexts, two failing, on ``web_module``: what cleanup raises, and runs."""
    ran: list[str] = []

    def context(name: str, fail: bool) -> Callable[[Any], AsyncIterator[None]]:
        async def ctx(app: Any) -> AsyncIterator[None]:
            yield
            ran.append(name)
            if fail:
                raise ValueError(name)

        return ctx

    app = web_module.Application()
    app.cleanup_ctx.append(context("first", True))
    app.cleanup_ctx.append(context("second", False))
    app.cleanup_ctx.append(context("third", True))
    runner = web_module.AppRunner(app)
    await runner.setup()
    site = web_module.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    with pytest.raises(web_module.CleanupError) as info:
        await runner.cleanup()
    errors = [f"{type(e).__name__}:{e}" for e in info.value.exceptions]
    return info.value.args[0], errors, ran


async def test_cleanup_error_collects_every_failure_like_aiohttp() -> None:
    ours = await _cleanup_outcome(web)
    theirs = await _cleanup_outcome(aiohttp_web)
    assert ours == theirs
    assert ours[1] == ["ValueError:third", "ValueError:first"]  # newest first, all ran
    assert ours[2] == ["third", "second", "first"]
    assert issubclass(web.CleanupError, RuntimeError)


async def test_one_cleanup_failure_is_raised_as_itself_and_cancellation_is_collected() -> None:
    async def fails(app: web.Application) -> AsyncIterator[None]:
        yield
        raise KeyError("only")

    async def cancelled(app: web.Application) -> AsyncIterator[None]:
        yield
        raise asyncio.CancelledError

    app = web.Application()
    app.cleanup_ctx.append(fails)
    runner = web.AppRunner(app)
    await runner.setup()
    with pytest.raises(KeyError, match="only"):
        await runner.cleanup()

    app = web.Application()
    app.cleanup_ctx.append(fails)
    app.cleanup_ctx.append(cancelled)
    runner = web.AppRunner(app)
    await runner.setup()
    with pytest.raises(web.CleanupError) as info:
        await runner.cleanup()
    assert [type(e) for e in info.value.exceptions] == [asyncio.CancelledError, KeyError]


# -- json_bytes_response / json_response(None) -------------------------------------------------


def test_json_bytes_response_signature_matches_aiohttp() -> None:
    ours = inspect.signature(web.json_bytes_response).parameters
    theirs = inspect.signature(aiohttp_web.json_bytes_response).parameters
    assert list(ours) == list(theirs)
    for name, param in theirs.items():
        assert ours[name].kind == param.kind, name
        if name != "data":  # both default to a private "no data" sentinel
            assert ours[name].default == param.default, name


async def test_json_bytes_response_over_the_wire(aiohttp_server: Any) -> None:
    calls: list[Any] = []

    def dumps(data: Any) -> bytes:
        calls.append(data)
        return json.dumps(data, separators=(",", ":")).encode()

    async def handler(request: web.Request) -> web.Response:
        which = request.match_info["which"]
        if which == "data":
            return web.json_bytes_response({"a": [1, 2]}, dumps=dumps, status=201)
        if which == "none":
            return web.json_bytes_response(None, dumps=dumps)
        if which == "body":
            return web.json_bytes_response(body=b'{"raw":true}', dumps=dumps, headers={"X-A": "1"})
        if which == "both":
            try:
                web.json_bytes_response({"x": 1}, body=b"{}", dumps=dumps)
            except ValueError as exc:
                return web.Response(text=f"refused: {exc}")
        if which == "json-none":
            return web.json_response(None)
        return web.json_response(text='"t"', content_type="application/problem+json")

    app = web.Application()
    app.router.add_get("/{which}", handler)
    server = await aiohttp_server(app)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        resp = await client.get("/data")
        assert resp.status_code == 201
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.content == b'{"a":[1,2]}'
        assert (await client.get("/none")).content == b"null"
        resp = await client.get("/body")
        assert resp.content == b'{"raw":true}' and resp.headers["X-A"] == "1"
        assert (await client.get("/both")).text.startswith("refused: only one of data or body")
        resp = await client.get("/json-none")  # aiohttp serialises None too
        assert resp.content == b"null" and resp.headers["Content-Type"].startswith(
            "application/json"
        )
        resp = await client.get("/text")
        assert resp.content == b'"t"'
        assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert calls == [{"a": [1, 2]}, None]


# -- RequestPayloadError ----------------------------------------------------------------------


async def _payload_error_server(aiohttp_server: Any) -> tuple[Any, list[str]]:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        try:
            await request.read()
        except web.RequestPayloadError as exc:
            seen.append(type(exc).__name__)
            if request.query.get("catch"):
                return web.Response(status=422, text=f"caught: {exc}")
            raise
        return web.Response(text="read")

    app = web.Application()
    app.router.add_post("/", handler)
    return await aiohttp_server(app), seen


@pytest.mark.parametrize("catch", [True, False])
async def test_malformed_chunked_body_is_a_request_payload_error(
    aiohttp_server: Any, catch: bool
) -> None:
    server, seen = await _payload_error_server(aiohttp_server)
    reader, writer = await open_raw(server.port)
    try:
        target = "/?catch=1" if catch else "/"
        writer.write(
            f"POST {target} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
            + b"3\r\nabc\r\n"
        )
        await writer.drain()
        await asyncio.sleep(0.05)  # the handler is now waiting for more of the body
        writer.write(b"zz\r\nnot a chunk size\r\n")
        await writer.drain()
        resp = await read_response(reader)
    finally:
        writer.close()
    assert seen == ["MalformedBody"]
    if catch:
        assert resp.status == 422 and resp.body.startswith(b"caught: ")
    else:  # uncaught: still answered as the client's fault
        assert resp.status == 400
    assert resp.header("Connection") == "close"


@pytest.mark.parametrize("catch", [True, False])
async def test_undecodable_content_encoding_is_a_request_payload_error(
    aiohttp_server: Any, catch: bool
) -> None:
    server, seen = await _payload_error_server(aiohttp_server)
    async with httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{server.port}/" + ("?catch=1" if catch else "")
        bad = await client.post(url, content=b"not gzip", headers={"Content-Encoding": "gzip"})
        good = await client.post(
            url, content=gzip.compress(b"fine"), headers={"Content-Encoding": "gzip"}
        )
    assert seen == ["UndecodableRequestBody"]
    assert bad.status_code == (422 if catch else 400)
    assert good.status_code == 200 and good.text == "read"


async def test_truncated_body_is_a_connection_reset_as_in_aiohttp(aiohttp_server: Any) -> None:
    """A client that goes away mid-body: aiohttp raises ConnectionResetError, not
    RequestPayloadError, from the read; so does aioweb."""
    raised: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.Response:
        try:
            await request.read()
        except BaseException as exc:
            raised.set_result(exc)
            raise
        return web.Response()

    app = web.Application()
    app.router.add_post("/", handler)
    # a test server cancels the handler when its client leaves (aiohttp's does too: the handler
    # then sees CancelledError); this is about the read itself, on a default server
    server = await aiohttp_server(app, handler_cancellation=False)
    _reader, writer = await open_raw(server.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b")
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.close()
    exc = await asyncio.wait_for(raised, 5)
    assert isinstance(exc, ConnectionResetError)
    assert not isinstance(exc, web.RequestPayloadError)


# -- PayloadAccessError -----------------------------------------------------------------------


async def test_body_read_after_the_response_is_a_payload_access_error(
    aiohttp_server: Any,
) -> None:
    kept: dict[str, web.Request] = {}

    async def handler(request: web.Request) -> web.Response:
        kept[request.match_info["name"]] = request
        if request.query.get("read") == "all":
            await request.read()
        elif request.query.get("read") == "some":
            await request.content.read(2)
        return web.Response(text="done")

    app = web.Application()
    app.router.add_route("*", "/{name}", handler)
    server = await aiohttp_server(app)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        for name, query in (("unread", ""), ("partly", "?read=some"), ("read", "?read=all")):
            resp = await client.post(f"/{name}{query}", content=b"0123456789" * 1000)
            assert resp.text == "done"
        assert (await client.get("/nobody")).text == "done"
        # the connection is still open (kept alive): nothing was closed under the requests
        for name in ("unread", "partly"):
            with pytest.raises(web.PayloadAccessError):
                await kept[name].read()
            with pytest.raises(web.PayloadAccessError):
                await kept[name].content.read()
        # a body the handler read stays available, and a request without one is empty
        assert await kept["read"].read() == b"0123456789" * 1000
        assert await kept["nobody"].read() == b""


# -- RequestHandler and NamedPipeSite ----------------------------------------------------------


async def test_request_handler_is_the_connection_protocol(aiohttp_client: Any) -> None:
    protocols: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        protocols.append(request.protocol)
        return web.Response(text=str(isinstance(request.protocol, web.RequestHandler)))

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "True"
    assert web.RequestHandler is HttpProtocol
    assert protocols[0].transport is not None


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes exist on Windows")
async def test_named_pipe_site_is_refused_off_windows() -> None:
    app = web.Application()
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        with pytest.raises(RuntimeError, match="Windows"):
            web.NamedPipeSite(runner, r"\\.\pipe\aioweb-test")
    finally:
        await runner.cleanup()
    theirs = inspect.signature(aiohttp_web.NamedPipeSite).parameters
    assert list(inspect.signature(web.NamedPipeSite).parameters) == list(theirs)
