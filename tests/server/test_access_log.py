"""Access logging in aiohttp's format syntax, and custom logger classes."""

from __future__ import annotations

import logging
import os

from aioweb import web


async def test_access_log_format_tokens(aiohttp_client, caplog):
    async def handler(request):
        return web.Response(text="12345", headers={"X-Out": "out-value"})

    app = web.Application()
    app.router.add_get("/p", handler)
    logger = logging.getLogger("fd.access")
    fmt = '%a %t %P "%r" %s %b %T %Tf %D "%{User-Agent}i" %{X-Out}o %% 100%%'
    client = await aiohttp_client(
        app, server_kwargs={"access_log": logger, "access_log_format": fmt}
    )
    with caplog.at_level(logging.INFO, logger="fd.access"):
        resp = await client.get("/p?q=1", headers={"User-Agent": "fd-agent %s %d"})
        assert resp.status == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "fd.access"]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("127.0.0.1 [")
    assert f"<{os.getpid()}>" in line
    assert '"GET /p?q=1 HTTP/1.1" 200 5 ' in line
    assert '"fd-agent %s %d"' in line  # a header's % signs are data, not format
    assert " out-value % 100%" in line


async def test_custom_abstract_access_logger(aiohttp_client, caplog):
    class JsonLogger(web.AbstractAccessLogger):
        def log(self, request, response, time):
            self.logger.info("%s %s -> %s", request.method, request.path, response.status)

    async def handler(request):
        return web.Response(text="x")

    app = web.Application()
    app.router.add_get("/", handler)
    logger = logging.getLogger("fd.custom")
    client = await aiohttp_client(
        app, server_kwargs={"access_log": logger, "access_log_class": JsonLogger}
    )
    with caplog.at_level(logging.INFO, logger="fd.custom"):
        await client.get("/")
        await client.get("/missing")
    lines = [r.getMessage() for r in caplog.records if r.name == "fd.custom"]
    assert lines == ["GET / -> 200", "GET /missing -> 404"]


async def test_access_log_off(aiohttp_client, caplog):
    async def handler(request):
        return web.Response(text="x")

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app, server_kwargs={"access_log": None})
    with caplog.at_level(logging.DEBUG):
        await client.get("/")
    assert not [r for r in caplog.records if "access" in r.name]


async def test_access_log_extra_fields_are_aiohttps(aiohttp_client, caplog):
    """Each atom's value is in the record's ``extra`` under aiohttp's field name; header atoms
    group into one dict per kind (structured log handlers written for aiohttp read these)."""

    async def handler(request):
        return web.Response(text="12345", headers={"X-Out": "o"})

    app = web.Application()
    app.router.add_get("/p", handler)
    logger = logging.getLogger("fd.access.extra")
    fmt = '%a "%r" %s %b %{User-Agent}i %{X-Missing}i %{X-Out}o'
    client = await aiohttp_client(
        app, server_kwargs={"access_log": logger, "access_log_format": fmt}
    )
    with caplog.at_level(logging.INFO, logger="fd.access.extra"):
        await client.get("/p", headers={"User-Agent": "ua"})
    (record,) = [r for r in caplog.records if r.name == "fd.access.extra"]
    assert record.remote_address == "127.0.0.1"
    assert record.first_request_line == "GET /p HTTP/1.1"
    assert (record.response_status, record.response_size) == (200, 5)
    assert record.request_header == {"User-Agent": "ua", "X-Missing": "-"}
    assert record.response_header == {"X-Out": "o"}


def test_access_log_without_request_or_address():
    """A failed connection logs no request (``-``); a Unix socket's peer is ``""``, kept."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("fd.access.none")
    logger.setLevel(logging.INFO)
    logger.addHandler(Keep())
    logger.propagate = False
    web.AccessLogger(logger, "%a %r %{Accept}i").log(None, None, 0.0)
    assert records[-1].getMessage() == "- - (no headers)"

    class UnixRequest:
        remote = ""
        method = "GET"
        raw_path = "/"
        version = (1, 1)
        headers: dict[str, str] = {}

    web.AccessLogger(logger, "|%a|").log(UnixRequest(), None, 0.0)
    assert records[-1].getMessage() == "||"
    assert records[-1].remote_address == ""


async def test_access_logger_not_enabled_is_never_called(aiohttp_client):
    """``enabled`` is read when a connection opens: False there means no ``log()`` call on
    that connection, even once it turns True (as in aiohttp)."""
    calls: list[str] = []
    enabled = False

    class Counting(web.AbstractAccessLogger):
        def log(self, request, response, time):
            calls.append(request.path)

        @property
        def enabled(self) -> bool:
            return enabled

    async def handler(request):
        return web.Response()

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(
        app,
        server_kwargs={"access_log": logging.getLogger("fd.x"), "access_log_class": Counting},
    )
    await client.get("/")
    enabled = True
    await client.get("/")  # the same kept-alive connection
    assert calls == []
    await client.close()
    enabled = True
    client = await aiohttp_client(
        app,
        server_kwargs={"access_log": logging.getLogger("fd.x"), "access_log_class": Counting},
    )
    await client.get("/")
    assert calls == ["/"]
