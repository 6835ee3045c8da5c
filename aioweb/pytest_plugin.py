"""pytest plugin: pytest-aiohttp's fixtures, names and types, for aioweb applications.

Fixtures: ``aiohttp_client`` (an aiohttp ``ClientSession``-based :class:`TestClient`),
``aiohttp_server``, ``aiohttp_raw_server``, ``aiohttp_client_cls``, ``aiohttp_unused_port``
and ``loop``; ``aioweb_client``/``aioweb_server``/``aioweb_raw_server``/``aioweb_unused_port``
are the same fixtures under this project's names.  Registered by the package's ``pytest11``
entry point, so a suite written for pytest-aiohttp runs with its imports changed to aioweb.

Who runs ``async def`` tests and fixtures, and in which loop:

- With pytest-asyncio active (the ``test`` extra), it does, as under pytest-aiohttp 1.x: every
  one in ``--asyncio-mode=auto``; in ``strict`` mode the ``@pytest.mark.asyncio`` tests and the
  ``@pytest_asyncio.fixture`` fixtures, which this plugin's fixtures are.  What pytest-asyncio
  leaves (an unmarked ``async def`` test or fixture in strict mode) this plugin runs, in the
  loop of pytest-asyncio's function-scoped runner, so that everything a test touches shares
  one loop.  ``--asyncio-mode=legacy`` (pytest-aiohttp 0.x) is read as ``auto`` with the
  :data:`LEGACY_MODE` warning.
- Without pytest-asyncio, this plugin runs them all, in a fresh loop per test (the ``loop``
  fixture), as aiohttp's own ``aiohttp.pytest_plugin`` does.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from aioweb.framework.app import Application
from aioweb.tooling.test_client import TestClient
from aioweb.tooling.test_loop import loop_context
from aioweb.tooling.test_server import (
    BaseTestServer,
    RawHandler,
    RawTestServer,
    TestServer,
    unused_port,
)

if TYPE_CHECKING:
    import pytest_asyncio
else:
    try:
        import pytest_asyncio
    except ImportError:  # the plugin then runs async tests and fixtures itself
        pytest_asyncio = None

__all__ = [
    "LEGACY_MODE",
    "AiohttpClient",
    "AiohttpRawServer",
    "AiohttpServer",
]


class AiohttpClient(Protocol):
    """The type of the ``aiohttp_client`` fixture: ``await aiohttp_client(app_or_server)``."""

    async def __call__(
        self,
        __param: Application | BaseTestServer,
        *,
        server_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient[Any, Any]: ...


class AiohttpServer(Protocol):
    """The type of the ``aiohttp_server`` fixture: ``await aiohttp_server(app, port=None)``."""

    def __call__(
        self, app: Application, *, port: int | None = None, **kwargs: Any
    ) -> Awaitable[TestServer]: ...


class AiohttpRawServer(Protocol):
    """The type of ``aiohttp_raw_server``: ``await aiohttp_raw_server(handler, port=None)``."""

    def __call__(
        self, handler: RawHandler, *, port: int | None = None, **kwargs: Any
    ) -> Awaitable[RawTestServer]: ...


#: Issued when ``--asyncio-mode=legacy`` (or the ini value) is given: pytest-asyncio no longer
#: has that mode; the run goes on in ``auto``, which is what legacy suites need.
LEGACY_MODE = DeprecationWarning(
    "asyncio_mode 'legacy' is gone from pytest-asyncio; aioweb's plugin runs this session in "
    "'auto' mode instead. Set asyncio_mode to 'auto' or 'strict' in the pytest configuration."
)


def _asyncio_active(config: pytest.Config) -> bool:
    """Whether pytest-asyncio is loaded in this session (not disabled by ``-p no:asyncio``)."""
    return pytest_asyncio is not None and config.pluginmanager.hasplugin("asyncio")


def _claimed(item: pytest.Item) -> bool:
    """Whether pytest-asyncio runs this test (then this plugin keeps out of it)."""
    return (
        pytest_asyncio is not None
        and _asyncio_active(item.config)
        and bool(pytest_asyncio.is_async_test(item))
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "aioweb_loop: run this test in the plain asyncio loop")
    if not _asyncio_active(config):
        # a strict-mode suite's marks mean "run in a loop", which this plugin does
        config.addinivalue_line("markers", "asyncio: run this coroutine test in an event loop")
        return
    mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")
    if mode == "legacy":
        config.option.asyncio_mode = "auto"
        config.issue_config_time_warning(LEGACY_MODE, stacklevel=2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The coroutine tests this plugin runs get the ``loop`` fixture they run in."""
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and inspect.iscoroutinefunction(item.obj)
            and not _claimed(item)
            and "loop" not in item.fixturenames
        ):
            item.fixturenames.append("loop")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a coroutine test that pytest-asyncio does not run, in the ``loop`` fixture."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj) or _claimed(pyfuncitem):
        return None
    loop = pyfuncitem.funcargs["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop)
    names = pyfuncitem._fixtureinfo.argnames
    loop.run_until_complete(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    """Run an ``async def`` fixture that pytest-asyncio left alone in the ``loop`` fixture.

    ``trylast`` makes this the innermost wrapper: pytest-asyncio, when it takes a fixture, has
    already swapped its function for a synchronous one, so only what it left is async here.
    The swap is undone afterwards, so the next test decides afresh.
    """
    func = fixturedef.func
    if not (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)):
        return (yield)
    loop = request.getfixturevalue("loop")  # also orders the teardowns: this fixture first
    fixturedef.func = _synchronous(func, loop, request)  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = func  # type: ignore[misc]


def _synchronous(
    func: Callable[..., Any], loop: asyncio.AbstractEventLoop, request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """``func`` (a coroutine or async generator function) as a plain one running in ``loop``."""
    if inspect.isasyncgenfunction(func):

        def run_generator(*args: Any, **kwargs: Any) -> Any:
            generator = func(*args, **kwargs)
            value = loop.run_until_complete(generator.__anext__())

            def finish() -> None:
                try:
                    loop.run_until_complete(generator.__anext__())
                except StopAsyncIteration:
                    return
                raise ValueError(f"async generator fixture {func.__name__} yields more than once")

            request.addfinalizer(finish)
            return value

        return run_generator

    def run_coroutine(*args: Any, **kwargs: Any) -> Any:
        return loop.run_until_complete(func(*args, **kwargs))

    return run_coroutine


@pytest.fixture
def loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop of this test.

    With pytest-asyncio active, the loop of its runner for the test's loop scope (the one its
    fixtures and tests run in); otherwise a fresh loop, closed after the test.
    """
    if _asyncio_active(request.config):
        scope = getattr(request.node, "_loop_scope", "function")
        runner = request.getfixturevalue(f"_{scope}_scoped_runner")
        yield runner.get_loop()
        return
    with loop_context(fast=True) as the_loop:  # fast: no gc.collect() per test
        yield the_loop


@pytest.fixture
def aiohttp_unused_port() -> Callable[[], int]:
    """``aiohttp_unused_port()``: a TCP port free on 127.0.0.1 right now."""
    return unused_port


def _async_fixture(func: Callable[..., Any]) -> Any:
    """A fixture that pytest-asyncio runs when it is there (in strict mode too), else we do."""
    if pytest_asyncio is not None:
        return pytest_asyncio.fixture(func)
    return pytest.fixture(func)


@_async_fixture
async def aiohttp_server() -> AsyncIterator[AiohttpServer]:
    """``server = await aiohttp_server(app, port=None, **runner_kwargs)``; closed after."""
    servers: list[TestServer] = []

    async def go(
        app: Application, *, host: str = "127.0.0.1", port: int | None = None, **kwargs: Any
    ) -> TestServer:
        server = TestServer(app, host=host, port=port)
        await server.start_server(**kwargs)
        servers.append(server)
        return server

    yield go
    while servers:
        await servers.pop().close()


@_async_fixture
async def aiohttp_raw_server() -> AsyncIterator[AiohttpRawServer]:
    """``server = await aiohttp_raw_server(handler, port=None, **server_kwargs)``; closed after."""
    servers: list[RawTestServer] = []

    async def go(handler: RawHandler, *, port: int | None = None, **kwargs: Any) -> RawTestServer:
        server = RawTestServer(handler, port=port)
        await server.start_server(**kwargs)
        servers.append(server)
        return server

    yield go
    while servers:
        await servers.pop().close()


@pytest.fixture
def aiohttp_client_cls() -> type[TestClient[Any, Any]]:
    """The class ``aiohttp_client`` builds: override this fixture to hand tests a subclass."""
    return TestClient


@_async_fixture
async def aiohttp_client(
    aiohttp_client_cls: type[TestClient[Any, Any]],
) -> AsyncIterator[AiohttpClient]:
    """``client = await aiohttp_client(app_or_server, server_kwargs=None, **session_kwargs)``.

    An application is served by a new :class:`TestServer` (``server_kwargs`` go to it); a test
    server is used as given.  Every client is closed after the test, its server with it.
    """
    clients: list[TestClient[Any, Any]] = []

    async def go(
        __param: Application | BaseTestServer,
        *,
        server_kwargs: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient[Any, Any]:
        if isinstance(__param, Application):
            server: BaseTestServer = TestServer(__param, **(server_kwargs or {}))
        elif isinstance(__param, BaseTestServer):
            server = __param
        else:
            raise ValueError(f"Unknown argument type: {type(__param)!r}")
        client = aiohttp_client_cls(server, **kwargs)
        await client.start_server()
        clients.append(client)
        return client

    yield go
    while clients:
        await clients.pop().close()


# This project's own names for the same fixtures.
@pytest.fixture
def aioweb_client(aiohttp_client: AiohttpClient) -> AiohttpClient:
    return aiohttp_client


@pytest.fixture
def aioweb_server(aiohttp_server: AiohttpServer) -> AiohttpServer:
    return aiohttp_server


@pytest.fixture
def aioweb_raw_server(aiohttp_raw_server: AiohttpRawServer) -> AiohttpRawServer:
    return aiohttp_raw_server


@pytest.fixture
def aioweb_unused_port(aiohttp_unused_port: Callable[[], int]) -> Callable[[], int]:
    return aiohttp_unused_port
