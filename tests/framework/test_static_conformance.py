"""Static files and ``FileResponse`` where aiohttp 3.14's own tests pinned a behaviour (issue 13).

Real server, aiohttp's client (the one those tests use) or raw request lines where a client
would normalise the path: special files answer 403, a ``..`` spelling answers 404 (before the
file system is looked at), If-None-Match skips a malformed member of its list, and a client
gone before the body is sent raises aiohttp's ``ConnectionResetError("Connection lost")``.
"""

# ruff: noqa: RUF001 (Cyrillic on purpose: a static prefix that must be percent-encoded)
from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import aiohttp
import pytest
from bodies_util import get, parse_response, raw_request, run, serve

from aioweb import web
from aioweb.test_utils import make_mocked_request

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "file.txt").write_text("hello")
    (tmp_path / "outside.txt").write_text("secret")
    return site


def static_app(site: Path) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", site)
    return app


def test_socket_and_fifo_inside_the_root_are_forbidden(root: Path) -> None:
    """A socket cannot even be opened (ENXIO), a FIFO opens: both exist, neither is a file."""
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "unix.sock"))
    os.mkfifo(root / "pipe")

    async def handler(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = web.FileResponse(root / "unix.sock")
        return response

    app = static_app(root)
    app.router.add_get("/direct", handler)

    async def main() -> None:
        async with serve(app) as base, aiohttp.ClientSession(base) as client:
            for path in ("/static/unix.sock", "/static/pipe", "/direct"):
                async with client.get(path) as r:
                    assert r.status == 403, path
            async with client.get("/static/missing.sock") as r:
                assert r.status == 404

    try:
        run(main())
    finally:
        sock.close()


@pytest.mark.parametrize(
    "path", ["/static/../outside.txt", "/static/../missing.txt", "/static/x/../../outside.txt"]
)
def test_dotdot_answers_as_a_missing_file(root: Path, path: str) -> None:
    """Refused before any lookup: the same 404 whether the target out there exists or not."""

    async def main() -> None:
        async with serve(static_app(root)) as base:
            status, _, body = parse_response(await raw_request(base, get(path)))
            missing = parse_response(await raw_request(base, get("/static/nope.txt")))
            assert status == 404 and body == missing[2]
            assert b"secret" not in body

    run(main())


def test_if_none_match_skips_a_malformed_member(root: Path) -> None:
    async def main() -> None:
        async with serve(static_app(root)) as base, aiohttp.ClientSession(base) as client:
            async with client.get("/static/file.txt") as r:
                etag = r.headers["ETag"]
            for value in (f'{etag}, W/"other", not-a-tag', f"junk, {etag}"):
                async with client.get("/static/file.txt", headers={"If-None-Match": value}) as r:
                    assert r.status == 304, value
                    assert r.headers["ETag"] == etag
            # malformed members never match on their own
            async with client.get("/static/file.txt", headers={"If-None-Match": "junk"}) as r:
                assert r.status == 200 and await r.text() == "hello"

    run(main())


def test_client_gone_before_prepare_raises_connection_lost(root: Path) -> None:
    """The handler learns the client left when it sends the file, as with aiohttp."""

    async def main() -> None:
        raised: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

        async def handler(request: web.Request) -> web.StreamResponse:
            response = web.FileResponse(root / "file.txt")
            protocol = request._protocol
            transport = protocol.transport
            protocol.transport = None  # what connection_lost leaves behind
            try:
                await response.prepare(request)
            except ConnectionResetError as exc:
                raised.set_result(exc)
            else:
                raised.set_result(None)
            finally:
                protocol.transport = transport
            return web.Response(status=503)

        app = web.Application()
        app.router.add_get("/", handler)
        async with serve(app) as base, aiohttp.ClientSession(base) as client, client.get("/") as r:
            assert r.status == 503
        exc = await asyncio.wait_for(raised, 5)
        assert isinstance(exc, ConnectionResetError) and str(exc) == "Connection lost"

    run(main())


def test_a_path_climbing_above_the_prefix_is_not_the_static_resource(root: Path) -> None:
    """It does not match (as in aiohttp), so a later catch-all route sees it; dot segments
    that stay below the prefix still match and are refused as missing files."""

    async def catch_all(request: web.Request) -> web.StreamResponse:
        return web.Response(text="caught")

    app = static_app(root)
    app.router.add_route("*", "/{tail:.*}", catch_all)

    async def main() -> None:
        async with serve(app) as base:
            status, _, body = parse_response(await raw_request(base, get("/static/../x")))
            assert (status, body) == (200, b"caught")
            status, _, body = parse_response(await raw_request(base, get("/static/a/../file.txt")))
            assert status == 404 and b"hello" not in body

    run(main())


def test_static_names_as_aiohttp_spells_them(root: Path) -> None:
    """repr of the resource and of routes.static(), and url_for under a prefix that needs
    quoting (its own %2F kept as an escaped slash, the file name's % escaped)."""
    app = web.Application()
    resource = app.router.add_static("/пре %2Fфикс", root, name="static")
    assert repr(resource).startswith("<StaticResource 'static' /пре %2Fфикс -> ")
    url = resource.url_for(filename="/1 2/файл%2F.txt")
    assert url.path == "/пре /фикс/1 2/файл%2F.txt"
    assert str(url) == (
        "/%D0%BF%D1%80%D0%B5%20%2F%D1%84%D0%B8%D0%BA%D1%81/1%202/%D1%84%D0%B0%D0%B9%D0%BB%252F.txt"
    )
    routes = web.RouteTableDef()
    routes.static("/prefix", "/path", name="name", show_index=True)
    assert repr(routes[0]) == "<StaticDef /prefix -> /path, name='name', show_index=True>"


def test_options_route_under_the_prefix(root: Path) -> None:
    async def options(request: web.Request) -> web.StreamResponse:
        return web.Response(headers={"Allow": "GET, HEAD, OPTIONS"})

    app = static_app(root)
    resource = next(r for r in app.router.resources() if isinstance(r, web.StaticResource))
    resource.set_options_route(options)

    async def main() -> None:
        # a match reports the resource's methods too (aiohttp's resolve contract)
        match, allowed = await resource.resolve(make_mocked_request("OPTIONS", "/static/x"))
        assert match is not None and allowed == {"GET", "HEAD", "OPTIONS"}
        async with serve(app) as base, aiohttp.ClientSession(base) as client:
            async with client.options("/static/file.txt") as r:
                assert r.status == 200 and r.headers["Allow"] == "GET, HEAD, OPTIONS"
            async with client.post("/static/file.txt") as r:
                assert r.status == 405
                assert set(r.headers["Allow"].split(",")) == {"GET", "HEAD", "OPTIONS"}

    run(main())


def _mode_000_is_enforced(tmp_path: Path) -> bool:
    """Root reads any file unless CAP_DAC_OVERRIDE is dropped (e.g. run under
    ``setpriv --bounding-set=-dac_override,-dac_read_search``): probe rather than guess."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        probe.read_text()
    except PermissionError:
        return True
    finally:
        probe.chmod(0o600)
    return False


def test_unreadable_file_or_directory_inside_the_root_is_forbidden(root: Path) -> None:
    """EACCES inside the root is 403 (aiohttp's answer), for a file, a directory listing and
    a path through an unsearchable directory; outside it stays the 404 of a missing file."""
    if not _mode_000_is_enforced(root.parent):
        pytest.skip("file modes are not enforced for this user (root with CAP_DAC_OVERRIDE)")
    (root / "locked.txt").write_text("secret")
    (root / "locked.txt").chmod(0)
    (root / "locked").mkdir()
    (root / "locked").chmod(0)
    app = web.Application()
    app.router.add_static("/static", root, show_index=True)

    async def main() -> None:
        async with serve(app) as base, aiohttp.ClientSession(base) as client:
            for path in ("/static/locked.txt", "/static/locked/", "/static/locked/x.txt"):
                async with client.get(path) as r:
                    assert r.status == 403, path

    try:
        run(main())
    finally:
        (root / "locked").chmod(0o700)
