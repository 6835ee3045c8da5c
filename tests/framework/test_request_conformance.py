"""Request behaviour aiohttp 3.14's own tests pin down (issue 13, triage rows 5, 7, 12, 13).

Each test runs a real server on a real socket and talks to it with aiohttp's client (or raw
bytes where the client would not send what is tested): the host a request names when it has
no ``Host``, ``Cookie`` values as browsers send them, ``Forwarded`` nodes with a port,
``clone()``, ``client_max_fields`` (413 past it), form file fields, and typed keys.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from bodies_util import parse_response, raw_request, serve

from aioweb import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _app(
    handler: Handler, method: str = "GET", path: str = "/", **app_kwargs: Any
) -> web.Application:
    app = web.Application(**app_kwargs)
    app.router.add_route(method, path, handler)
    return app


async def test_host_without_host_header_is_the_local_address() -> None:
    """HTTP/1.0 without ``Host``: the address the request came in on, not a DNS name."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.host} {request.url}")

    async with serve(_app(handler)) as base:
        raw = await raw_request(base, b"GET / HTTP/1.0\r\n\r\n")
    status, _, body = parse_response(raw)
    assert status == 200
    assert body == b"127.0.0.1 http://127.0.0.1/"


async def test_cookie_values_as_browsers_send_them(caplog: pytest.LogCaptureFixture) -> None:
    """Quoted values keep their ``;``, lone names are cookies, bad names are logged once."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(dict(request.cookies))

    header = 'data="a;b"; Path=/; Secure; esc="x \\" y"; ' + "; ".join(
        f'bad"{i}=1'
        for i in range(50)  # (a control character would not pass the parser)
    )
    request = f"GET / HTTP/1.1\r\nHost: x\r\nCookie: {header}\r\nConnection: close\r\n\r\n"
    async with serve(_app(handler)) as base:
        with caplog.at_level(logging.DEBUG, logger="aioweb.web"):
            raw = await raw_request(base, request.encode("latin-1"))
    got = json.loads(parse_response(raw)[2])
    assert got == {"data": "a;b", "Path": "/", "Secure": "", "esc": 'x " y'}
    logged = [r for r in caplog.records if "Cannot load cookie" in r.getMessage()]
    assert len(logged) == 1


async def test_forwarded_node_with_port_and_injected_element() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response([dict(element) for element in request.forwarded])

    async with serve(_app(handler)) as base, aiohttp.ClientSession() as session:
        headers = {"Forwarded": "for=1.2.3.4:1234"}
        async with session.get(base, headers=headers) as resp:
            assert await resp.json() == [{"for": "1.2.3.4:1234"}]
        headers = {"Forwarded": 'for=_injected;by=", for=_real'}
        async with session.get(base, headers=headers) as resp:
            assert await resp.json() == [{"for": "_injected"}, {"for": "_real"}]


async def test_clone_copies_storage_and_refuses_after_read() -> None:
    async def handler(request: web.Request) -> web.Response:
        request["key"] = "val"
        copy = request.clone()
        copy["key"] = "val2"
        assert (request["key"], copy["key"]) == ("val", "val2")
        await request.read()
        with pytest.raises(RuntimeError):
            request.clone()
        return web.Response(text=repr(request))

    async with (
        serve(_app(handler, "POST", "/{name}")) as base,
        aiohttp.ClientSession() as session,
        session.post(base + "/\U0001f415?x", data=b"body") as resp,
    ):
        assert resp.status == 200
        assert await resp.text() == "<Request POST /\\U0001f415 >"  # (ASCII, as aiohttp's)


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
async def test_client_max_fields(multipart: bool) -> None:
    """``Application(client_max_fields=2)``: three fields are a 413; 0 means no limit."""

    async def handler(request: web.Request) -> web.Response:
        assert request.client_max_fields in (0, 2)
        return web.Response(text=str(len(await request.post())))

    def form(count: int) -> aiohttp.FormData:
        data = aiohttp.FormData(default_to_multipart=multipart)
        for i in range(count):
            data.add_field(f"f{i}", "v")
        return data

    for limit, count, status, text in (
        (2, 3, 413, "Maximum number of form fields 2 exceeded."),
        (2, 2, 200, "2"),
        (0, 5, 200, "5"),
    ):
        app = _app(handler, "POST", client_max_fields=limit)
        async with (
            serve(app) as base,
            aiohttp.ClientSession() as session,
            session.post(base, data=form(count)) as resp,
        ):
            assert (resp.status, await resp.text()) == (status, text)


async def test_file_field_is_a_record_spooled_in_memory() -> None:
    async def handler(request: web.Request) -> web.Response:
        field = (await request.post())["file"]
        assert isinstance(field, web.FileField)
        assert not isinstance(field, tuple)
        assert [f.name for f in dataclasses.fields(field)] == [
            "name",
            "filename",
            "file",
            "content_type",
            "headers",
        ]
        assert isinstance(field.file, io.IOBase) and field.file.writable()
        return web.Response(body=field.file.read())  # (not closed: a small one has no fd)

    async with serve(_app(handler, "POST")) as base, aiohttp.ClientSession() as session:
        data = aiohttp.FormData()
        data.add_field("file", b"content", filename="x.bin")
        async with session.post(base, data=data) as resp:
            assert await resp.read() == b"content"


async def test_multipart_field_without_name_is_a_400() -> None:
    async def handler(request: web.Request) -> web.Response:
        await request.post()
        return web.Response()

    body = b"--b\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n--b--\r\n"
    async with serve(_app(handler, "POST")) as base, aiohttp.ClientSession() as session:
        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        async with session.post(base, data=body, headers=headers) as resp:
            assert resp.status == 400
            assert "Multipart field missing name" in await resp.text()


MODULE_KEY = web.AppKey("key", int)


def test_typed_keys_name_their_module_and_sort_with_str_keys() -> None:
    """The repr names the module whose top-level code made the key (as aiohttp's)."""
    key = MODULE_KEY
    assert repr(key) == f"<AppKey({__name__}.key, type=int)>"
    assert key.name == "key"
    app = web.Application()
    b, c = web.AppKey("b", str), web.AppKey("c", str)
    with pytest.warns(UserWarning, match=r"web_advanced\.html#application-s-config") as caught:
        app["a"] = "0"
    assert caught[0].filename == __file__
    app[b], app[c] = "1", "2"
    with pytest.warns(UserWarning):
        app["d"] = "3"
    assert sorted(app) == [b, c, "a", "d"]


async def test_file_fields_are_closed_when_the_request_is_done() -> None:
    """Left open by the handler, the spooled files are closed with the request (no warning)."""
    kept: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        kept.extend(form[name].file for name in ("small", "big"))
        return web.Response(text="ok")

    data = aiohttp.FormData()
    data.add_field("small", b"x", filename="s.bin")
    data.add_field("big", io.BytesIO(b"y" * (1024**2 + 1)), filename="b.bin")  # (on disk)
    async with (
        serve(_app(handler, "POST", client_max_size=8 * 1024**2)) as base,
        aiohttp.ClientSession() as session,
        session.post(base, data=data) as resp,
    ):
        assert await resp.text() == "ok"
    gc.collect()
    assert [f.closed for f in kept] == [True, True]


async def test_multipart_part_read_past_client_max_size_is_a_413() -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        await part.text()
        return web.Response(text="read")

    with aiohttp.MultipartWriter() as writer:
        writer.append("A" * 1020)
    async with (
        serve(_app(handler, "POST", client_max_size=1000)) as base,
        aiohttp.ClientSession() as session,
        session.post(base, data=writer) as resp,
    ):
        assert resp.status == 413
