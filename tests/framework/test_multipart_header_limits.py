"""Multipart part header limits raise aiohttp's errors (``LineTooLong`` for a line over 8190
bytes, ``BadHttpMessage`` "Too many headers received") that are also aioweb's
``MultipartError``: a 400 when the handler lets them through (issue 13). Real server, aiohttp's
client."""

from __future__ import annotations

import aiohttp
import pytest
from aioweb.http_exceptions import BadHttpMessage, LineTooLong
from bodies_util import run, serve

from aioweb import web
from aioweb.multipart import MultipartError, MultipartReader, parse_content_disposition

CTYPE = "multipart/form-data; boundary=b"


def _body(*extra_headers: bytes) -> bytes:
    head = b'Content-Disposition: form-data; name="a"\r\n' + b"".join(extra_headers)
    return b"--b\r\n" + head + b"\r\n1\r\n--b--\r\n"


LONG_LINE = b"t" * 4100 + b":" + b"t" * 4100 + b"\r\n"  # 8201 bytes: aiohttp's test
MANY = tuple(f"X-{i}: a\r\n".encode() for i in range(130))


async def _post(app: web.Application, body: bytes, path: str = "/") -> tuple[int, str]:
    async with (
        serve(app) as base,
        aiohttp.ClientSession() as session,
        session.post(f"{base}{path}", data=body, headers={"Content-Type": CTYPE}) as resp,
    ):
        return resp.status, await resp.text()


def _app(caught: list[BaseException]) -> web.Application:
    async def uncaught(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text="read")

    async def catching(request: web.Request) -> web.Response:
        try:
            await request.post()
        except (LineTooLong, BadHttpMessage) as exc:  # what aiohttp code catches
            caught.append(exc)
            return web.Response(text=type(exc).__name__)
        return web.Response(text="read")

    app = web.Application()
    app.router.add_post("/", uncaught)
    app.router.add_post("/catch", catching)
    return app


@pytest.mark.parametrize(
    ("extra", "kind", "text"),
    [
        ((LONG_LINE,), LineTooLong, "Got more than 8190 bytes when reading: b'tttt"),
        (MANY, BadHttpMessage, "Too many headers received"),
    ],
    ids=["line-too-long", "too-many"],
)
def test_header_limits_are_aiohttps_errors_and_400s(
    extra: tuple[bytes, ...], kind: type[Exception], text: str
) -> None:
    caught: list[BaseException] = []
    app = _app(caught)
    status, body = run(_post(app, _body(*extra)))
    assert status == 400 and text in body
    status, body = run(_post(app, _body(*extra), "/catch"))
    assert status == 200
    (exc,) = caught
    assert isinstance(exc, kind) and isinstance(exc, MultipartError)
    assert isinstance(exc, ValueError) and exc.code == 400
    assert str(exc).startswith("400, message:\n  ") and text in str(exc)
    # only the header line limit is a LineTooLong; both are BadHttpMessage
    assert isinstance(exc, LineTooLong) == (kind is LineTooLong)


def test_a_line_at_the_limit_is_read() -> None:
    line = b"X-Long: " + b"v" * (8190 - 8) + b"\r\n"  # 8190 bytes without its CRLF
    app = _app([])
    assert run(_post(app, _body(line))) == (200, "read")


def test_aiohttps_reader_keywords_set_the_limits() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        reader = MultipartReader(request.headers, request.content, max_field_size=20000)
        part = await reader.next()
        assert part is not None
        seen.append(part.headers["T" * 4100])
        other = MultipartReader(request.headers, request.content, max_headers=1)
        seen.append(str(other.max_part_headers))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/", handler)
    assert run(_post(app, _body(LONG_LINE))) == (200, "ok")
    assert seen == ["t" * 4100, "1"]


def test_parse_content_disposition_is_served_by_aioweb_multipart() -> None:
    assert parse_content_disposition('form-data; name="a"; filename="x;y.txt"') == (
        "form-data",
        {"name": "a", "filename": "x;y.txt"},
    )
