"""pytest plugin: runs ``async def`` tests and fixtures, and gives aiohttp-style fixtures.

Fixtures: ``loop``, ``aioweb_server``, ``aioweb_raw_server``, ``aioweb_client``,
``aioweb_unused_port``, and the ``aiohttp_*`` names as aliases, so an aiohttp test suite
ports by changing its imports.  Registered automatically by the package's entry point.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from aioweb.framework.app import Application
from aioweb.tooling.test_utils import (
    BaseTestServer,
    RawTestServer,
    TestClient,
    TestServer,
    loop_context,
    unused_port,
)


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "aioweb_loop: run this test in the plain asyncio loop")


def _loop_of(fixtures: dict[str, Any]) -> asyncio.AbstractEventLoop | None:
    loop = fixtures.get("loop")
    return loop if isinstance(loop, asyncio.AbstractEventLoop) else None


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: Any) -> bool | None:
    """Run coroutine tests in the test's ``loop`` fixture."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    loop = _loop_of(pyfuncitem.funcargs)
    assert loop is not None, "async tests need the loop fixture (added automatically)"
    argnames = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in argnames}
    loop.run_until_complete(pyfuncitem.obj(**kwargs))
    return True


def pytest_collection_modifyitems(items: list[Any]) -> None:
    for item in items:
        obj = getattr(item, "obj", None)
        if (
            obj is not None
            and inspect.iscoroutinefunction(obj)
            and "loop" not in getattr(item, "fixturenames", ["loop"])
        ):
            item.fixturenames.append("loop")


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: Any, request: Any) -> Any:
    """Let fixtures be ``async def`` (coroutines or async generators) run in ``loop``."""
    func = fixturedef.func
    if not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
        return None
    if "loop" not in fixturedef.argnames:
        original = func
        fixturedef.argnames = (*fixturedef.argnames, "loop")
    else:
        original = func
    strip_loop = "loop" not in inspect.signature(original).parameters

    if inspect.isasyncgenfunction(original):

        def sync_gen(*args: Any, **kwargs: Any) -> Iterator[Any]:
            loop = kwargs["loop"]
            if strip_loop:
                kwargs.pop("loop")
            agen = original(*args, **kwargs)
            value = loop.run_until_complete(agen.__anext__())
            yield value
            with contextlib.suppress(StopAsyncIteration):
                loop.run_until_complete(agen.__anext__())

        fixturedef.func = sync_gen
    else:

        def sync_func(*args: Any, **kwargs: Any) -> Any:
            loop = kwargs["loop"]
            if strip_loop:
                kwargs.pop("loop")
            return loop.run_until_complete(original(*args, **kwargs))

        fixturedef.func = sync_func
    return None


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop per test."""
    with loop_context() as the_loop:
        yield the_loop


@pytest.fixture
def aioweb_unused_port() -> Callable[[], int]:
    return unused_port


def _server_starter(
    loop: asyncio.AbstractEventLoop, server_class: type[BaseTestServer]
) -> Iterator[Callable[..., Awaitable[Any]]]:
    """Yield ``go(target, port=None, **kwargs)`` starting servers; close them all afterwards."""
    servers: list[BaseTestServer] = []

    async def go(target: Any, *, port: int | None = None, **kwargs: Any) -> Any:
        server = server_class(target, port=port)  # type: ignore[call-arg]
        await server.start_server(**kwargs)
        servers.append(server)
        return server

    yield go

    async def finalize() -> None:
        while servers:
            await servers.pop().close()

    loop.run_until_complete(finalize())


@pytest.fixture
def aioweb_server(
    loop: asyncio.AbstractEventLoop,
) -> Iterator[Callable[..., Awaitable[TestServer]]]:
    """``server = await aioweb_server(app, port=None, **server_kwargs)``."""
    yield from _server_starter(loop, TestServer)


@pytest.fixture
def aioweb_raw_server(
    loop: asyncio.AbstractEventLoop,
) -> Iterator[Callable[..., Awaitable[RawTestServer]]]:
    """``server = await aioweb_raw_server(handler, port=None, **server_kwargs)``."""
    yield from _server_starter(loop, RawTestServer)


@pytest.fixture
def aioweb_client(
    loop: asyncio.AbstractEventLoop,
) -> Iterator[Callable[..., Awaitable[TestClient]]]:
    """``client = await aioweb_client(app_or_server, server_kwargs=None, **client_kwargs)``."""
    clients: list[TestClient] = []

    async def go(
        __param: Application | BaseTestServer,
        *,
        server_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient:
        if isinstance(__param, Application):
            server: BaseTestServer = TestServer(__param, **(server_kwargs or {}))
        elif isinstance(__param, BaseTestServer):
            server = __param
        else:
            raise ValueError(f"Unknown argument type: {type(__param)!r}")
        client = TestClient(server, **kwargs)
        await client.start_server()
        clients.append(client)
        return client

    yield go

    async def finalize() -> None:
        while clients:
            await clients.pop().close()

    loop.run_until_complete(finalize())


# aiohttp's fixture names, so that existing test suites port with one import change.
@pytest.fixture
def aiohttp_client(aioweb_client: Any) -> Any:
    return aioweb_client


@pytest.fixture
def aiohttp_server(aioweb_server: Any) -> Any:
    return aioweb_server


@pytest.fixture
def aiohttp_raw_server(aioweb_raw_server: Any) -> Any:
    return aioweb_raw_server


@pytest.fixture
def aiohttp_unused_port(aioweb_unused_port: Any) -> Any:
    return aioweb_unused_port
