"""Proof by the same tests: aioweb's own functional tests, run again through the adapter.

The modules below start their application with ``tests/bodies_util.serve(app)`` (or, for the
WebSocket tests, their own ``serve``).  Each is loaded a second time here, per ASGI server,
with that ``serve`` replaced by ``asgi_servers.serve_in_process``: the same application, the
same clients and assertions, but served by ``to_asgi(app)`` under uvicorn (all modules) or
hypercorn (a smaller set).  Their fixtures come along; the test functions are collected here
as ``test_<server>__<module>__<test>``.

The GridFS tests (``GRIDFS_MODULES``) start their app in a thread of its own through
``gridfs_server.ServerThread``; for their re-run, ``ServerThread.serve`` is pointed at
``serve_in_process`` (uvicorn or hypercorn in that thread's loop) from set-up to tear-down,
and the GridFS fixtures come from that folder's ``conftest.py``.  The database is the
session's real one (FerretDB, or ``MONGODB_URI``).  GridFS modules with no HTTP in them, or
whose server is a process of its own, are named in ``NOT_RERUN`` with the reason.

Tests that check aioweb's *own server* (its HTTP/1.1 parser's verdicts on malformed bytes,
its connection handling, timeouts, sendfile) cannot apply: the ASGI server parses and frames
the bytes there.  They are listed in ``NOT_APPLICABLE`` with the reason and reported as
skipped, so the list stays visible in every run; ``LEFT_OUT`` names the few that would
apply but cost too much time to run twice.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import inspect
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from asgi_servers import serve_in_process
from yarl import URL

TESTS = Path(__file__).resolve().parents[2]

#: module -> servers it is re-run under
MODULES: dict[str, tuple[str, ...]] = {
    "framework/test_bodies.py": ("uvicorn", "hypercorn"),
    "framework/test_static.py": ("uvicorn", "hypercorn"),
    "framework/test_fileresponse.py": ("uvicorn", "hypercorn"),
    "framework/test_multipart.py": ("uvicorn", "hypercorn"),
    "framework/test_cookies.py": ("uvicorn", "hypercorn"),
    "framework/test_compression.py": ("uvicorn",),
    "framework/test_static_security.py": ("uvicorn",),
    "framework/test_multipart_hostile.py": ("uvicorn",),
    "framework/test_websocket.py": ("uvicorn",),
}
#: modules of coroutine tests that take the plugin's ``aioweb_server`` or ``aiohttp_client``
#: fixture (both replaced below, for the re-run's tests only)
FIXTURE_MODULES: dict[str, tuple[str, ...]] = {
    "integrations/session/test_session_server.py": ("uvicorn",),
    "integrations/jinja2/test_jinja2.py": ("uvicorn",),
    "integrations/sse/test_sse.py": ("uvicorn", "hypercorn"),
    "framework/test_framework.py": ("uvicorn",),
    "framework/test_core_smoke.py": ("uvicorn",),
    "framework/test_response_head.py": ("uvicorn",),
}
#: modules whose own ``serve(app)`` yields ``(ws_url, runner)`` instead of a base URL
WS_STYLE = {"framework/test_websocket.py"}
#: GridFS modules, whose tests start ``ServerThread``s (those that take no fixture serve
#: nothing - constructor, cache and coalescer unit tests - and are not re-run)
GRIDFS_MODULES: dict[str, tuple[str, ...]] = {
    "integrations/gridfs/test_handler.py": ("uvicorn", "hypercorn"),
    "integrations/gridfs/test_cache.py": ("uvicorn",),
    "integrations/gridfs/test_uploads.py": ("uvicorn",),
    "integrations/gridfs/test_same_answers.py": ("uvicorn",),
}
GRIDFS = TESTS / "integrations" / "gridfs"
#: GridFS modules not re-run, and why
NOT_RERUN: dict[str, str] = {
    "integrations/gridfs/test_chunks.py": "ChunkReader/ChunkWriter against the database: no HTTP",
    "integrations/gridfs/test_ferretdb_capabilities.py": "the database's GridFS support: no HTTP",
    "integrations/gridfs/test_streaming.py": (
        "its server is a process of its own (gridfs_app_process.py, aioweb's run_app) whose RSS "
        "it measures, with a 256 MiB-1 GiB file written per module: too slow to write twice"
    ),
    "integrations/gridfs/test_demo_browser.py": (
        "the demo app in Chromium with a video encoded on the spot (tens of seconds); the "
        "Range requests it makes are test_handler's and test_cache's, which are re-run"
    ),
}

_SERVER_FRAMES = "the ASGI server, not aioweb, parses and frames the bytes on the wire"

_HYPERCORN_100 = (
    "hypercorn 0.18 sends its own interim response ('HTTP/1.1 100 ' without a reason phrase) "
    "as soon as the request arrives, before the handler asks for the body"
)

_HYPERCORN_413 = (
    "an early 413 while the client still sends its body: hypercorn 0.18 does not linger, the "
    "client sees the connection end before the answer (aioweb's server lingers; uvicorn passes)"
)

#: "[<server>:]<module stem>::<test name>" -> why it cannot apply through that ASGI server (or
#: through any, without a server prefix)
NOT_APPLICABLE: dict[str, str] = {
    "hypercorn:test_bodies::test_default_100_continue_then_body": _HYPERCORN_100,
    "hypercorn:test_bodies::test_no_100_when_the_handler_does_not_read": _HYPERCORN_100,
    "hypercorn:test_bodies::test_expect_handler_refuses_without_reading": _HYPERCORN_100,
    "hypercorn:test_bodies::test_curl_expect_100_continue": _HYPERCORN_100,
    "hypercorn:test_bodies::test_100_continue_for_a_compressed_body": _HYPERCORN_100,
    "hypercorn:test_bodies::test_compression_bomb_is_413_not_memory": _HYPERCORN_413,
    "hypercorn:test_multipart::test_client_max_size_gives_413": _HYPERCORN_413,
    "test_bodies::test_expect_ignored_for_http_10": (
        "interim responses are the ASGI server's: uvicorn sends 100 Continue to an HTTP/1.0 "
        "client too (aioweb's server does not, RFC 9110 §15.2)"
    ),
    "test_fileresponse::test_file_truncated_while_sending_closes_connection": (
        "asserts the field name's case as aioweb writes it ('Content-Length'); ASGI response "
        "field names are lower-case. The truncation itself is covered: the adapter leaves the "
        "response incomplete and the server closes the connection"
    ),
    "test_fileresponse::test_shutdown_is_not_held_up_by_a_stalled_sendfile": (
        "aioweb's own server shutdown and sendfile timeout; under ASGI the server's shutdown "
        "applies and files are sent by read-and-send"
    ),
    "test_framework::test_response_rules": (
        "checks a custom reason phrase ('299 Custom Reason'); ASGI carries the status code "
        "only, and servers send their own phrase"
    ),
    "test_websocket::test_bad_handshakes_get_4xx": (
        "the WebSocket handshake is validated by the ASGI server: uvicorn refuses a POST or a "
        "wrong Sec-WebSocket-Version itself, before the application is called"
    ),
    "test_websocket::test_autoping_off_exposes_ping_and_pong": (
        "the client's pings are answered by the ASGI server and never reach the application "
        "(ASGI has no ping message)"
    ),
    "test_websocket::test_heartbeat_keeps_a_live_peer_and_drops_a_silent_one": (
        "the session's heartbeat pings are answered by the adapter (ASGI cannot carry them to "
        "the client); keep-alive with the client is the server's (--ws-ping-interval)"
    ),
    "test_websocket::test_compress_false_declines_deflate_and_aiohttp_client_compresses": (
        "permessage-deflate is negotiated by the ASGI server, not by WebSocketResponse"
    ),
    "test_websocket::test_graceful_shutdown_closes_sockets_with_1001": (
        "uses aioweb's AppRunner to shut the server down (under ASGI the server's shutdown applies)"
    ),
    "test_handler::test_sync_pymongo_database_is_refused": (
        "a constructor check: it starts no server (its fixture is only the database)"
    ),
    "test_multipart_hostile::test_post_bounds_the_raw_body_when_chunked": (
        "the lingering close that lets a client still sending its body read an early 413 is "
        "the server's: uvicorn resets the connection (the 413 itself is produced)"
    ),
}

#: tests that would apply but are left out of the re-run to keep its time small, and why
LEFT_OUT: dict[str, str] = {
    "test_cache::test_concurrent_readers_always_see_a_completed_upload": (
        "the handler's look-up coalescing under load (3,000 files documents, 24 clients): "
        "6-9 s, the longest test of the re-run, for a property of the handler alone; "
        "concurrent requests through the adapter are covered by the other re-run tests"
    ),
}


def _serve_for(
    kind: str, ws_style: bool
) -> Callable[..., contextlib.AbstractAsyncContextManager[Any]]:
    @contextlib.asynccontextmanager
    async def serve(app: Any, **runner_kwargs: Any) -> AsyncIterator[Any]:
        # AppRunner keywords the adapter takes (server settings); the rest are the runner's
        kwargs = {k: v for k, v in runner_kwargs.items() if k not in ("shutdown_timeout",)}
        async with serve_in_process(app, kind, **kwargs) as base:
            yield (base.replace("http://", "ws://"), None) if ws_style else base

    return serve


def _load(rel: str) -> Any:
    """The test module, loaded once under a name of its own (its module-level data, such as
    random file contents, is then the same for its fixtures and its tests)."""
    path = TESTS / rel
    name = f"asgi_rerun_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _served_by(func: Callable[..., Any], module: Any, serve: Any) -> Callable[..., Any]:
    """``func`` with ``module.serve`` replaced while it runs (the tests are synchronous)."""

    @functools.wraps(func)  # (keeps the signature, for fixtures, and the marks)
    def test(*args: Any, **kwargs: Any) -> Any:
        original = module.serve
        module.serve = serve
        try:
            return func(*args, **kwargs)
        finally:
            module.serve = original

    return test


class _Served:
    """What the tests use of the plugin's test server: ``make_url(path)``, ``close()``."""

    def __init__(self, base: str, stack: contextlib.AsyncExitStack) -> None:
        self.base = base
        self.host = "127.0.0.1"
        self.port = int(base.rsplit(":", 1)[1])
        self._stack = stack

    async def close(self) -> None:
        await self._stack.aclose()

    def make_url(self, path: str) -> URL:
        return URL(self.base + path)


@pytest_asyncio.fixture
async def aioweb_server(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """The plugin's ``aioweb_server``, served by ``to_asgi(app)`` under the test's server."""
    kind = getattr(request.function, "_asgi_kind", "uvicorn")
    async with contextlib.AsyncExitStack() as stack:

        async def go(app: Any, **kwargs: Any) -> _Served:
            own = contextlib.AsyncExitStack()
            stack.push_async_callback(own.aclose)
            return _Served(await own.enter_async_context(serve_in_process(app, kind)), own)

        yield go


@pytest_asyncio.fixture
async def aiohttp_client(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Any]]:
    """The plugin's ``aiohttp_client(app)``: aiohttp's ``ClientSession`` on the app served by
    ``to_asgi(app)`` (relative URLs; ``client.app`` is the application)."""
    kind = getattr(request.function, "_asgi_kind", "uvicorn")
    async with contextlib.AsyncExitStack() as stack:

        async def go(app: Any, **kwargs: Any) -> Any:
            base = await stack.enter_async_context(serve_in_process(app, kind))
            session = await stack.enter_async_context(aiohttp.ClientSession(base_url=base))
            session.app = app  # type: ignore[attr-defined]
            session.make_url = lambda path: URL(base + path)  # type: ignore[attr-defined]
            return session

        yield go


def _on_server(func: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """A coroutine test, marked with the server its ``aioweb_server`` fixture starts."""

    @functools.wraps(func)
    async def test(*args: Any, **kwargs: Any) -> Any:
        return await func(*args, **kwargs)

    test._asgi_kind = kind  # type: ignore[attr-defined]
    return test


@pytest.fixture(autouse=True)
def _gridfs_through_asgi(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """For a GridFS test's re-run: every ``ServerThread`` it starts, in its fixtures too (this
    autouse fixture is set up before them), serves through the adapter."""
    kind = getattr(request.function, "_gridfs_kind", None)
    if kind is not None:
        from gridfs_server import ServerThread

        monkeypatch.setattr(ServerThread, "serve", functools.partial(serve_in_process, kind=kind))


def _gridfs_on(func: Callable[..., Any], kind: str) -> Callable[..., Any]:
    """A (synchronous) GridFS test, marked with the server its ``ServerThread``s use."""

    @functools.wraps(func)
    def test(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    test._gridfs_kind = kind  # type: ignore[attr-defined]
    return test


def _skipped(func: Callable[..., Any], reason: str) -> Callable[..., Any]:
    return pytest.mark.skip(reason=reason)(func)


def _reason(stem: str, attr: str, kind: str) -> str | None:
    """Why the test is skipped in the re-run under ``kind`` (None: it runs)."""
    for key in (f"{stem}::{attr}", f"{kind}:{stem}::{attr}"):
        if key in NOT_APPLICABLE:
            return f"not applicable through ASGI: {NOT_APPLICABLE[key]}"
        if key in LEFT_OUT:
            return f"left out of the ASGI re-run: {LEFT_OUT[key]}"
    return None


def _add_fixtures(module: Any, found: dict[str, Any]) -> None:
    """The module's fixtures, by their names.  An autouse one would apply to every re-run
    module here, so it is left out (test_static_security's kernel/fallback containment proof:
    its default, the kernel, runs)."""
    for attr, value in vars(module).items():
        marker = getattr(value, "_fixture_function_marker", None)
        if marker is not None and not marker.autouse:
            found.setdefault(attr, value)


def _collect_gridfs(found: dict[str, Any]) -> None:
    if str(GRIDFS) not in sys.path:
        sys.path.append(str(GRIDFS))  # (their helpers: gridfs_server, ...)
    _add_fixtures(_load("integrations/gridfs/conftest.py"), found)
    for rel, kinds in GRIDFS_MODULES.items():
        stem = Path(rel).stem
        module = _load(rel)
        _add_fixtures(module, found)
        for kind in kinds:
            for attr, value in vars(module).items():
                if not (attr.startswith("test_") and callable(value)):
                    continue
                if not inspect.signature(value).parameters:
                    continue  # no fixture: no database, no server
                func = _gridfs_on(value, kind)
                reason = _reason(stem, attr, kind)
                name = f"test_{kind}__gridfs_{stem.removeprefix('test_')}__{attr[5:]}"
                found[name] = _skipped(func, reason) if reason else func


def _collect() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for rel, kinds in MODULES.items():
        stem = Path(rel).stem
        module = _load(rel)
        _add_fixtures(module, found)
        for kind in kinds:
            serve = _serve_for(kind, rel in WS_STYLE)
            for attr, value in vars(module).items():
                if not (attr.startswith("test_") and callable(value)):
                    continue
                func = _served_by(value, module, serve)
                reason = _reason(stem, attr, kind)
                if reason is not None:
                    func = _skipped(func, reason)
                found[f"test_{kind}__{stem.removeprefix('test_')}__{attr[5:]}"] = func
    for rel, kinds in FIXTURE_MODULES.items():
        stem = Path(rel).stem
        module = _load(rel)
        for kind in kinds:
            for attr, value in vars(module).items():
                if attr.startswith("test_") and inspect.iscoroutinefunction(value):
                    name = f"test_{kind}__{stem.removeprefix('test_')}__{attr[5:]}"
                    func = _on_server(value, kind)
                    reason = _reason(stem, attr, kind)
                    found[name] = _skipped(func, reason) if reason else func
    _collect_gridfs(found)
    return found


def test_every_gridfs_module_is_rerun_or_listed() -> None:
    """A GridFS test module added later joins the re-run or says here why it does not."""
    found = {f"integrations/gridfs/{path.name}" for path in GRIDFS.glob("test_*.py")}
    assert found == set(GRIDFS_MODULES) | set(NOT_RERUN)


globals().update(_collect())
