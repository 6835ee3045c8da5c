"""Defects found by fuzzing and load, each replayed with its exact bytes over a raw socket.

* An application's ``BaseException`` (a test framework's failed check) raised by a handler run
  on the eager path must not escape ``data_received``: the connection closes unanswered, as in
  aiohttp, and the exception is logged.
* ``Content-Length: 9223372036854775807`` followed by body bytes overflowed a C integer in the
  protocol's feed and aborted the connection: it is a 413, answered at head time.
* ``Upgrade: websocket`` to a route that does not upgrade: the handler must get the body, and
  requests pipelined behind it must be answered (the connection stays HTTP/1.1).
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from foundation_util import closed_by_peer, open_raw, read_response

from aioweb import web


class CheckFailed(BaseException):
    """Like pytest's ``Failed``: a ``BaseException`` that is neither an exit nor a cancel."""


async def _app() -> web.Application:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="index")

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(text=f"{len(body)}:{body.decode('latin-1')}")

    async def check_fails(request: web.Request) -> web.Response:
        raise CheckFailed("a check failed inside the handler")

    async def check_fails_later(request: web.Request) -> web.Response:
        await asyncio.sleep(0.01)  # the carrier task's path, not the eager one
        raise CheckFailed("a check failed after waiting")

    async def cancels_itself(request: web.Request) -> web.Response:
        raise asyncio.CancelledError()  # raised by the app, the task is not being cancelled

    async def faulty_close_callback(request: web.Request) -> web.Response:
        def callback() -> None:
            raise CheckFailed("a check failed inside a close callback")

        request.protocol.add_close_callback(callback)
        return web.Response(text="bye", headers={"Connection": "close"})

    app = web.Application()
    app.router.add_get("/", index)
    app.router.add_get("/close-callback", faulty_close_callback)
    app.router.add_post("/echo", echo)
    app.router.add_post("/ignore", index)
    app.router.add_get("/check", check_fails)
    app.router.add_get("/check-later", check_fails_later)
    app.router.add_get("/cancel", cancels_itself)
    return app


@pytest.mark.parametrize("path", ["/check", "/check-later", "/cancel"])
async def test_base_exception_in_handler_closes_the_connection_unanswered(
    aiohttp_server, caplog, path
):
    """As in aiohttp: a handler's ``CancelledError`` or other non-``Exception`` ends the
    connection without a response (nothing of it is sent, the pipelined request behind it is
    not handled); it must not escape ``data_received`` ("Fatal error"), a failed check is
    logged at ERROR, and the server goes on with other connections."""
    caplog.set_level(logging.DEBUG, logger="aioweb.server")
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert await reader.read() == b""  # closed, not a byte of a response
    writer.close()
    assert not [r for r in caplog.records if "Fatal error" in r.getMessage()]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    if path == "/cancel":
        assert not errors
        assert "Ignored premature client disconnection" in caplog.messages
    else:
        assert [r.exc_info[0] for r in errors if r.exc_info] == [CheckFailed]
    reader, writer = await open_raw(server.port)  # and the server goes on
    writer.write(PIPELINED_GET)
    assert (await read_response(reader)).body == b"index"
    writer.close()


async def test_base_exception_in_close_callback_does_not_escape_teardown(aiohttp_server, caplog):
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(b"GET /close-callback HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).body == b"bye"
    assert await closed_by_peer(reader)
    writer.close()
    await asyncio.sleep(0.1)  # connection_lost has run
    messages = [r.getMessage() for r in caplog.records]
    assert "Error in a connection close callback" in messages
    assert not [m for m in messages if "Exception in callback" in m]
    reader, writer = await open_raw(server.port)  # and the server goes on
    writer.write(PIPELINED_GET)
    assert (await read_response(reader)).body == b"index"
    writer.close()


@pytest.mark.parametrize("path", ["/echo", "/ignore"])
@pytest.mark.parametrize("body_size", [10, 20000], ids=["small-read", "large-read"])
async def test_huge_content_length_is_413_at_head_time(aiohttp_server, caplog, body_size, path):
    """Refused before any handler runs (``/ignore`` would otherwise answer 200 unread)."""
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775807\r\n\r\n".encode()
        + b"x" * body_size
    )
    resp = await read_response(reader)
    assert resp.status == 413
    assert resp.header("Connection") == "close"
    assert await closed_by_peer(reader)
    writer.close()
    assert not [r for r in caplog.records if "Fatal error" in r.getMessage()]
    assert not [r for r in caplog.records if r.exc_info and r.exc_info[0] is OverflowError]


async def test_content_length_ceiling(aiohttp_server):
    """Above 2**53 bytes the head is refused; at 2**53 the request reaches its handler."""
    server = await aiohttp_server(await _app())
    for length, status in ((2**53 + 1, 413), (2**53, 200)):
        reader, writer = await open_raw(server.port)
        writer.write(
            f"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\nabc".encode()
        )
        assert (await read_response(reader)).status == status
        writer.close()


UPGRADE_ECHO = (
    b"POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Content-Length: 5\r\n\r\nhello"
)
PIPELINED_GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def test_declined_upgrade_body_reaches_handler_and_pipeline_goes_on(aiohttp_server):
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(UPGRADE_ECHO + PIPELINED_GET)
    first = await read_response(reader)
    assert (first.status, first.body) == (200, b"5:hello")
    second = await read_response(reader)
    assert (second.status, second.body) == (200, b"index")
    writer.write(PIPELINED_GET)  # and the connection is still HTTP/1.1 afterwards
    assert (await read_response(reader)).body == b"index"
    writer.close()


async def test_declined_upgrade_body_in_pieces(aiohttp_server):
    """The body and the next request arrive in separate reads after the head."""
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    head, body = UPGRADE_ECHO[:-5], UPGRADE_ECHO[-5:]
    writer.write(head + body[:2])
    await asyncio.sleep(0.05)
    writer.write(body[2:])
    await asyncio.sleep(0.05)
    writer.write(PIPELINED_GET)
    first = await read_response(reader)
    assert (first.status, first.body) == (200, b"5:hello")
    assert (await read_response(reader)).body == b"index"
    writer.close()


async def test_declined_upgrade_without_body_keeps_pipeline(aiohttp_server):
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        + PIPELINED_GET
    )
    assert (await read_response(reader)).body == b"index"
    assert (await read_response(reader)).body == b"index"
    writer.close()


async def test_upgrade_with_chunked_body_is_400(aiohttp_server):
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    )
    assert (await read_response(reader)).status == 400
    assert await closed_by_peer(reader)
    writer.close()
