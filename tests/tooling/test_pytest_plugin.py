"""The pytest plugin replaces pytest-aiohttp: a suite written for it runs with ``aioweb``
imports, under pytest-asyncio's auto and strict modes, the old ``legacy`` spelling, and with
pytest-asyncio disabled (the plugin's own runner).  Each case runs an inner pytest in a
subprocess (pytester), with the plugin loaded by its ``pytest11`` entry point.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(120)

#: pytest-aiohttp 1.1's own fixture tests, with the imports changed to aioweb
PYTEST_AIOHTTP_STYLE = """
import asyncio

import aiohttp
import pytest

from aioweb import web
from aioweb.test_utils import TestClient


async def hello(request):
    return web.Response(body=b"Hello, world")


def make_app():
    app = web.Application()
    app.router.add_get("/", hello)
    return app


async def test_hello(aiohttp_client):
    client = await aiohttp_client(make_app())
    resp = await client.get("/")
    assert isinstance(resp, aiohttp.ClientResponse)
    assert resp.status == 200 and "Hello, world" in await resp.text()


@pytest.fixture
async def cli(aiohttp_client):
    return await aiohttp_client(make_app()), asyncio.get_running_loop()


async def test_async_fixture(cli):
    client, fixture_loop = cli
    assert fixture_loop is asyncio.get_running_loop()  # one loop for fixture and test
    assert (await client.get("/")).status == 200


async def test_custom_port(aiohttp_client, aiohttp_unused_port):
    port = aiohttp_unused_port()
    client = await aiohttp_client(make_app(), server_kwargs={"port": port})
    assert client.port == port and (await client.get("/")).status == 200


async def test_server_then_client(aiohttp_server, aiohttp_client):
    server = await aiohttp_server(make_app())
    client = await aiohttp_client(server)
    assert client.server is server and (await client.get("/")).status == 200


async def test_raw_server(aiohttp_raw_server, aiohttp_client):
    async def handler(request):
        return web.Response(text="OK")

    client = await aiohttp_client(await aiohttp_raw_server(handler))
    assert await (await client.get("/x")).text() == "OK"


async def test_failed_to_create_client(aiohttp_client):
    def make_failing_app():
        raise RuntimeError()

    with pytest.raises(RuntimeError):
        await aiohttp_client(make_failing_app())


class CustomClient(TestClient):
    pass


@pytest.fixture
def aiohttp_client_cls():
    return CustomClient


async def test_client_cls(aiohttp_client):
    assert isinstance(await aiohttp_client(web.Application()), CustomClient)


def test_sync(loop, aiohttp_client):
    async def go():
        client = await aiohttp_client(make_app())
        return (await client.get("/")).status

    assert loop.run_until_complete(go()) == 200
"""

INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini(INI)
    pytester.makepyfile(test_suite=PYTEST_AIOHTTP_STYLE)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_auto_mode(pytester: pytest.Pytester) -> None:
    run(pytester, "--asyncio-mode=auto").assert_outcomes(passed=8)


def test_without_pytest_asyncio(pytester: pytest.Pytester) -> None:
    run(pytester, "-p", "no:asyncio").assert_outcomes(passed=8)


def test_strict_mode_marked_and_unmarked(pytester: pytest.Pytester) -> None:
    """Strict mode: pytest-asyncio runs the marked test; the plugin runs the unmarked ones
    (aioweb's own suite is written so), both with the plugin's fixtures in the same loop."""
    pytester.makepyfile(
        test_marked="""
import pytest
from aioweb import web


@pytest.mark.asyncio
async def test_marked(aiohttp_client):
    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="marked"))
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "marked"
"""
    )
    run(pytester, "--asyncio-mode=strict").assert_outcomes(passed=9)


def test_legacy_mode_warns_and_runs_as_auto(pytester: pytest.Pytester) -> None:
    from aioweb.pytest_plugin import LEGACY_MODE

    result = run(pytester, "--asyncio-mode=legacy")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*" + str(LEGACY_MODE) + "*"])
    assert str(LEGACY_MODE) not in run(pytester, "--asyncio-mode=auto").stdout.str()


def test_the_plugin_keeps_pytest_aiohttps_names_and_types() -> None:
    from aioweb import pytest_plugin

    assert isinstance(pytest_plugin.LEGACY_MODE, DeprecationWarning)
    for name in ("AiohttpClient", "AiohttpServer", "AiohttpRawServer"):
        assert getattr(pytest_plugin, name)._is_protocol
    for fixture in (
        "aiohttp_client",
        "aiohttp_server",
        "aiohttp_raw_server",
        "aiohttp_client_cls",
        "aiohttp_unused_port",
        "loop",
    ):
        assert hasattr(pytest_plugin, fixture), fixture
