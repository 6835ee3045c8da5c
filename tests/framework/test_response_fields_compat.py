"""aiohttp's ``last_modified`` rules and deprecated ``output_length`` on aioweb's responses
(issue 13), on a real server: the bytes on the wire are what the properties describe."""

from __future__ import annotations

import datetime

import aiohttp
import pytest
from bodies_util import raw_request, run, serve

from aioweb import web

UTC = datetime.UTC


def test_last_modified_rounds_up_and_reads_the_applications_string_back() -> None:
    seen: dict[str, object] = {}
    when = datetime.datetime(2020, 12, 2, 9, 51, 2, 500000, tzinfo=UTC)

    async def from_datetime(request: web.Request) -> web.Response:
        resp = web.Response(text="x")
        resp.last_modified = when
        seen["datetime"] = resp.last_modified
        return resp

    async def from_timestamp(request: web.Request) -> web.Response:
        resp = web.Response(text="x")
        resp.last_modified = when.timestamp()
        return resp

    async def from_string(request: web.Request) -> web.Response:
        resp = web.Response(text="x")
        resp.last_modified = "Mon, 2 Jan 1990 03:04:05 GMT"  # one-digit day, as written
        seen["string"] = resp.last_modified
        return resp

    async def main() -> dict[str, str]:
        app = web.Application()
        app.router.add_get("/dt", from_datetime)
        app.router.add_get("/ts", from_timestamp)
        app.router.add_get("/str", from_string)
        got = {}
        async with serve(app) as base, aiohttp.ClientSession() as session:
            for path in ("dt", "ts", "str"):
                async with session.get(f"{base}/{path}") as resp:
                    got[path] = resp.headers["Last-Modified"]
        return got

    got = run(main())
    assert got["dt"] == got["ts"] == "Wed, 02 Dec 2020 09:51:03 GMT"
    assert seen["datetime"] == datetime.datetime(2020, 12, 2, 9, 51, 3, tzinfo=UTC)
    assert got["str"] == "Mon, 2 Jan 1990 03:04:05 GMT"  # sent as the application gave it
    assert seen["string"] == datetime.datetime(1990, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_output_length_counts_the_bytes_sent_and_warns() -> None:
    counts: list[int] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = 11
        resp.headers["Connection"] = "close"
        await resp.prepare(request)
        with pytest.warns(DeprecationWarning, match="output_length is deprecated"):
            counts.append(resp.output_length)  # the head, still unsent
        await resp.write(b"hello ")
        with pytest.warns(DeprecationWarning):
            counts.append(resp.output_length)  # the head went with the first write
        await resp.write_eof(b"world")
        with pytest.warns(DeprecationWarning):
            counts.append(resp.output_length)
        return resp

    async def main() -> bytes:
        app = web.Application()
        app.router.add_get("/", handler)
        async with serve(app) as base:
            return await raw_request(base, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")

    raw = run(main())
    assert raw.endswith(b"\r\n\r\nhello world")
    head = len(raw) - len(b"hello world")
    assert counts == [head, head + 6, len(raw)]


def test_output_length_before_prepare_is_an_error() -> None:
    resp = web.StreamResponse()
    with pytest.warns(DeprecationWarning), pytest.raises(RuntimeError):
        resp.output_length  # noqa: B018 (the property is the test)
