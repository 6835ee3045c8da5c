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
