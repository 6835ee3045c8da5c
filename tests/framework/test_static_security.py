"""Static-file containment on a real server (issue 11, items 1 and 6).

With ``add_static(prefix, root)`` and the default ``follow_symlinks=False`` no byte from
outside ``root`` may leave the server, including through a pre-compressed sibling
(``x.js.gz``/``.br``/``.zst`` next to ``x.js``) that is a symlink leaving the root, or that
is reached through a directory symlink leaving it: aiohttp's CVE-2024-42367. Containment
compares whole path components (``public-private/`` is not inside ``public/``), and whatever
lies outside answers exactly like something missing, so a client cannot probe for files.

Every request is a raw request line on a real socket (clients would normalise ``..`` away),
sent with ``Accept-Encoding: gzip, br, zstd``. Each test runs twice: with the kernel telling
where an open descriptor lives (``/proc/self/fd``) and with the portable fallback (resolved
path plus inode comparison), see ``aioweb/containment.py``.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest
from bodies_util import get, parse_response, raw_request, run, serve

from aioweb import web
from aioweb.framework import containment

pytestmark = pytest.mark.timeout(60)

SECRET = b"TOP SECRET: outside the static root"
PLAIN = b"console.log('the plain file');\n" * 40
ACCEPT = "Accept-Encoding: gzip, br, zstd"
CODINGS = {".gz": "gzip", ".br": "br", ".zst": "zstd"}
SUFFIXES = list(CODINGS)


def compressed(suffix: str, data: bytes) -> bytes:
    """What a build tool would write as the sibling (zstd bytes are served as stored)."""
    if suffix == ".gz":
        return gzip.compress(data)
    if suffix == ".br":
        return bytes(brotli.compress(data))
    return b"(\xb5/\xfd" + data  # a zstd frame magic; the server never decodes siblings


@pytest.fixture(params=["kernel", "fallback"], autouse=True)
def proof(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Where an open file lives: asked of the kernel, or the resolved path + inode fallback."""
    if request.param == "fallback":
        monkeypatch.setattr(containment, "_use_proc", False)
    elif not containment._use_proc:
        pytest.skip("no /proc/self/fd on this system")
    return str(request.param)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """``<tmp>/public`` is served; ``<tmp>/public-private`` sits next to it, outside."""
    public = tmp_path / "public"
    private = tmp_path / "public-private"
    public.mkdir()
    private.mkdir()
    (private / "secret.txt").write_bytes(SECRET)
    (private / "subdir").mkdir()
    for suffix in SUFFIXES:
        (private / f"leak{suffix}").write_bytes(SECRET)
    return public


def static_app(root: Path, **kwargs: object) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", root, **kwargs)  # type: ignore[arg-type]
    return app


async def fetch(base: str, path: str, *headers: str) -> tuple[int, dict[str, str], bytes]:
    raw = await raw_request(base, get(path, *headers))
    assert SECRET not in raw, path
    return parse_response(raw)


def without_date(raw: bytes) -> bytes:
    """The response as sent, minus its ``Date`` line (the one header allowed to differ)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"date:")]
    return b"\r\n".join(lines) + sep + body


# --- pre-compressed siblings under follow_symlinks=False ---------------------------------------


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_sibling_symlink_outside_root_is_not_served(site: Path, suffix: str) -> None:
    (site / "app.js").write_bytes(PLAIN)
    (site / f"app.js{suffix}").symlink_to(site.parent / "public-private" / f"leak{suffix}")

    async def main() -> None:
        async with serve(static_app(site)) as base:
            status, headers, body = await fetch(base, "/static/app.js", ACCEPT)
            assert status == 200
            assert "content-encoding" not in headers
            assert body == PLAIN
            # The refused sibling does not count as a representation, not even for Vary.
            assert "vary" not in headers
            status, headers, _ = await fetch(base, f"/static/app.js{suffix}", ACCEPT)
            assert status == 404  # and asked for by name, it does not exist either

    run(main())


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_sibling_through_directory_symlink_outside(site: Path, suffix: str) -> None:
    """The sibling's own link stays in the root, but a directory on its way leaves it."""
    (site / "app.js").write_bytes(PLAIN)
    (site / "out").symlink_to(site.parent / "public-private")
    (site / f"app.js{suffix}").symlink_to(site / "out" / f"leak{suffix}")

    async def main() -> None:
        async with serve(static_app(site)) as base:
            status, headers, body = await fetch(base, "/static/app.js", ACCEPT)
            assert status == 200 and "content-encoding" not in headers and body == PLAIN

    run(main())


def test_plain_file_under_directory_symlink_outside(site: Path) -> None:
    """A directory symlink leaving the root hides the plain file and all its siblings."""
    assets = site.parent / "public-private" / "assets"
    assets.mkdir()
    (assets / "x.js").write_bytes(SECRET)
    for suffix in SUFFIXES:
        (assets / f"x.js{suffix}").write_bytes(SECRET)
    (site / "assets").symlink_to(assets)

    async def main() -> None:
        async with serve(static_app(site)) as base:
            for headers in ((ACCEPT,), ()):
                status, _, _ = await fetch(base, "/static/assets/x.js", *headers)
                assert status == 404, headers

    run(main())


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_sibling_inside_root_is_served(site: Path, suffix: str) -> None:
    """Regular siblings, and symlinked ones that stay inside, are still served compressed."""
    packed = compressed(suffix, PLAIN)
    (site / "app.js").write_bytes(PLAIN)
    (site / f"app.js{suffix}").write_bytes(packed)
    (site / "build").mkdir()
    (site / "build" / f"linked.js{suffix}").write_bytes(packed)
    (site / "linked.js").write_bytes(PLAIN)
    (site / f"linked.js{suffix}").symlink_to(site / "build" / f"linked.js{suffix}")

    async def main() -> None:
        async with serve(static_app(site)) as base:
            for name in ("app.js", "linked.js"):
                status, headers, body = await fetch(base, f"/static/{name}", ACCEPT)
                assert status == 200, name
                assert headers["content-encoding"] == CODINGS[suffix], name
                assert headers["vary"] == "Accept-Encoding"
                assert headers["content-type"].startswith("text/javascript")
                assert body == packed
            # A client that does not accept the coding gets the plain file, with Vary.
            status, headers, body = await fetch(base, "/static/app.js", "Accept-Encoding: x")
            assert "content-encoding" not in headers and body == PLAIN
            assert headers["vary"] == "Accept-Encoding"

    run(main())


def test_refused_sibling_falls_back_to_the_next_coding(site: Path) -> None:
    """``.br`` (preferred) leaves the root: the client gets the ``.gz`` that does not."""
    (site / "app.js").write_bytes(PLAIN)
    (site / "app.js.br").symlink_to(site.parent / "public-private" / "leak.br")
    (site / "app.js.gz").write_bytes(gzip.compress(PLAIN))

    async def main() -> None:
        async with serve(static_app(site)) as base:
            status, headers, body = await fetch(base, "/static/app.js", ACCEPT)
            assert status == 200 and headers["content-encoding"] == "gzip"
            assert gzip.decompress(body) == PLAIN

    run(main())


def test_follow_symlinks_true_serves_siblings_anywhere(site: Path) -> None:
    """``follow_symlinks=True`` is the owner's choice, as in aiohttp: siblings included."""
    (site / "app.js").write_bytes(PLAIN)
    (site / "app.js.gz").symlink_to(site.parent / "public-private" / "leak.gz")

    async def main() -> None:
        async with serve(static_app(site, follow_symlinks=True)) as base:
            raw = await raw_request(base, get("/static/app.js", ACCEPT))
            status, headers, body = parse_response(raw)
            assert status == 200 and headers["content-encoding"] == "gzip"
            assert body == SECRET

    run(main())


def test_append_version_never_hashes_an_outside_file(site: Path) -> None:
    """``url_for(..., append_version=True)`` opens the file too: same rule, no hash leaks."""
    (site / "app.js").write_bytes(PLAIN)
    (site / "link-secret.txt").symlink_to(site.parent / "public-private" / "secret.txt")
    app = web.Application()
    resource = app.router.add_static("/static", site, append_version=True)
    assert "v" in resource.url_for(filename="app.js").query
    assert "v" not in resource.url_for(filename="link-secret.txt").query


# --- FileResponse without a static root ---------------------------------------------------------


def test_fileresponse_sibling_must_stay_in_the_plain_files_directory(tmp_path: Path) -> None:
    """Without a root, the plain file's real directory is the root for its siblings."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "leak.gz").write_bytes(SECRET)
    files = tmp_path / "files"
    files.mkdir()
    (files / "app.js").write_bytes(PLAIN)
    (files / "app.js.gz").symlink_to(tmp_path / "elsewhere" / "leak.gz")
    (files / "packed").mkdir()
    (files / "packed" / "ok.js.gz").write_bytes(gzip.compress(PLAIN))
    (files / "ok.js").write_bytes(PLAIN)
    (files / "ok.js.gz").symlink_to(files / "packed" / "ok.js.gz")
    # the plain file is a symlink: its siblings are looked for, and held to, its real directory
    build = tmp_path / "build"
    build.mkdir()
    (build / "real.js").write_bytes(PLAIN)
    (build / "real.js.gz").write_bytes(gzip.compress(PLAIN))
    (files / "real.js").symlink_to(build / "real.js")
    (files / "real.js.gz").symlink_to(build / "real.js.gz")

    async def send(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(files / request.match_info["name"])

    app = web.Application()
    app.router.add_get("/f/{name}", send)

    async def main() -> None:
        async with serve(app) as base:
            status, headers, body = await fetch(base, "/f/app.js", ACCEPT)
            assert status == 200 and "content-encoding" not in headers and body == PLAIN
            for name in ("ok.js", "real.js"):
                status, headers, body = await fetch(base, f"/f/{name}", ACCEPT)
                assert status == 200 and headers["content-encoding"] == "gzip", name
                assert gzip.decompress(body) == PLAIN

    run(main())


# --- whole path components ----------------------------------------------------------------------


def test_within_compares_whole_components() -> None:
    assert containment.within("/srv/public", "/srv/public")
    assert containment.within("/srv/public/a/b", "/srv/public")
    assert not containment.within("/srv/public-private", "/srv/public")
    assert not containment.within("/srv/public-private/x", "/srv/public")
    assert not containment.within("/srv/publicx", "/srv/public")
    assert not containment.within("/srv", "/srv/public")
    assert containment.within("/etc/passwd", "/")


def test_root_prefix_directory_is_outside(site: Path) -> None:
    """``public-private/`` starts with the root's name but is not inside it."""
    private = site.parent / "public-private"
    (site / "app.js").write_bytes(PLAIN)
    (site / "pp").symlink_to(private)
    (site / "pp-file.txt").symlink_to(private / "secret.txt")
    # a link whose text starts with the root: ``<tmp>/public/../public-private/secret.txt``
    (site / "sneaky.txt").symlink_to(f"{site}/../public-private/secret.txt")
    (site / "app.js.gz").symlink_to(f"{site}/../public-private/leak.gz")

    async def main() -> None:
        async with serve(static_app(site, show_index=True)) as base:
            for path in (
                "/static/pp/secret.txt",
                "/static/pp/",
                "/static/pp-file.txt",
                "/static/sneaky.txt",
            ):
                status, _, _ = await fetch(base, path, ACCEPT)
                assert status == 404, path
            status, headers, body = await fetch(base, "/static/app.js", ACCEPT)
            assert status == 200 and "content-encoding" not in headers and body == PLAIN

    run(main())


SPELLINGS = {
    "dotdot": "/static/../public-private/{}",
    "encoded-dotdot": "/static/%2e%2e/public-private/{}",
    "encoded-slash": "/static/..%2fpublic-private/{}",
    "backslash": "/static/..\\public-private\\{}",
    "encoded-backslash": "/static/..%5cpublic-private%5c{}",
    "dotdot-after-link": "/static/pp/../public-private/{}",
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_traversal_spellings_toward_the_prefix_sibling(site: Path, spelling: str) -> None:
    (site / "pp").symlink_to(site.parent / "public-private")
    path = SPELLINGS[spelling].format("secret.txt")

    async def main() -> None:
        async with serve(static_app(site)) as base:
            status, _, _ = await fetch(base, path, ACCEPT)
            # refused before the file system is touched, as a missing file (404, as aiohttp)
            assert status == 404, path

    run(main())


# --- no existence oracle --------------------------------------------------------------------------

#: (what exists outside, what does not): each pair must get byte-identical answers but Date.
ORACLE = {
    "file-symlink": ("/static/link-secret.txt", "/static/link-missing.txt"),
    "dir-symlink": ("/static/pp/secret.txt", "/static/pp/missing.txt"),
    "outside-directory": ("/static/pp/subdir", "/static/pp/nosuchdir"),
    "outside-directory-slash": ("/static/pp/subdir/", "/static/pp/nosuchdir/"),
    "through-a-file": ("/static/pp/secret.txt/x", "/static/pp/missing.txt/x"),
    "dotdot": ("/static/../public-private/secret.txt", "/static/../public-private/missing"),
    "encoded-dotdot": (
        "/static/%2e%2e/public-private/secret.txt",
        "/static/%2e%2e/public-private/missing",
    ),
    "backslash": ("/static/..\\public-private\\secret.txt", "/static/..\\public-private\\nope"),
    "sibling": ("/static/a.js", "/static/b.js"),
}


@pytest.mark.parametrize("case", list(ORACLE))
def test_outside_answers_do_not_tell_whether_the_target_exists(site: Path, case: str) -> None:
    private = site.parent / "public-private"
    (site / "pp").symlink_to(private)
    (site / "link-secret.txt").symlink_to(private / "secret.txt")
    (site / "link-missing.txt").symlink_to(private / "missing.txt")
    # two identical plain files (same bytes, same mtime: same validators); a's sibling
    # points at an outside file that exists, b's at one that does not
    for name in ("a.js", "b.js"):
        (site / name).write_bytes(PLAIN)
        os.utime(site / name, ns=(10**18, 10**18))
    (site / "a.js.gz").symlink_to(private / "leak.gz")
    (site / "b.js.gz").symlink_to(private / "missing.gz")
    existing, missing = ORACLE[case]

    async def main() -> None:
        async with serve(static_app(site, show_index=True)) as base:
            one = await raw_request(base, get(existing, ACCEPT))
            two = await raw_request(base, get(missing, ACCEPT))
            assert SECRET not in one
            assert without_date(one) == without_date(two)
            assert parse_response(one)[0] in (200, 403, 404)

    run(main())


def test_index_page_does_not_tell_where_outside_links_lead(site: Path) -> None:
    """Two listings that differ only in whether an outside link's target exists are equal."""
    private = site.parent / "public-private"
    for name, target in (("one", private / "subdir"), ("two", private / "nosuchdir")):
        (site / name).mkdir()
        (site / name / "link").symlink_to(target)
        (site / name / "inside").symlink_to(site / "one")

    async def main() -> None:
        async with serve(static_app(site, show_index=True)) as base:
            one = await raw_request(base, get("/static/one/"))
            two = await raw_request(base, get("/static/two/"))
            assert parse_response(one)[0] == 200
            assert b'href="/static/one/link">link</a>' in one  # listed, but not as a directory
            assert b'href="/static/one/inside">inside/</a>' in one  # a link inside is one
            assert without_date(one).replace(b"/one", b"/two") == without_date(two)

    run(main())


def test_unreadable_outside_file_answers_like_a_missing_one(site: Path) -> None:
    """``EACCES`` from outside must not turn into a 403 where a missing file gives 404.

    Root reads any file while it holds CAP_DAC_OVERRIDE, so this is probed, not assumed: run
    it as root under ``setpriv --bounding-set=-dac_override,-dac_read_search`` to check it.
    """
    private = site.parent / "public-private"
    locked = private / "locked.txt"
    locked.write_bytes(SECRET)
    locked.chmod(0)
    try:
        locked.read_bytes()
    except PermissionError:
        pass
    else:
        pytest.skip("file modes are not enforced for this user (root with CAP_DAC_OVERRIDE)")
    (site / "pp").symlink_to(private)
    (site / "inside-locked.txt").write_bytes(b"x")
    (site / "inside-locked.txt").chmod(0)

    async def main() -> None:
        async with serve(static_app(site)) as base:
            one = await raw_request(base, get("/static/pp/locked.txt"))
            two = await raw_request(base, get("/static/pp/missing.txt"))
            assert parse_response(one)[0] == 404
            assert without_date(one) == without_date(two)
            # inside the root, an unreadable file is still 403
            status, _, _ = await fetch(base, "/static/inside-locked.txt")
            assert status == 403

    try:
        run(main())
    finally:
        locked.chmod(0o600)


# --- no window between checking and opening ------------------------------------------------------


@pytest.fixture
def flipping(site: Path) -> Iterator[Path]:
    """``public/d`` turns, over and over, from a real directory into a symlink leaving the root.

    A server that checks a path and opens it afterwards serves the outside file whenever
    the flip falls between the two; checking the opened descriptor never does.
    """
    outside = site.parent / "public-private" / "d"
    outside.mkdir()
    (outside / "f.txt").write_bytes(SECRET)
    real = site / "d"
    real.mkdir()
    (real / "f.txt").write_bytes(b"inside")
    parked = site.parent / "parked"
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            os.rename(real, parked)
            os.symlink(outside, real)
            time.sleep(0.0005)
            os.unlink(real)
            os.rename(parked, real)
            time.sleep(0.0005)

    thread = threading.Thread(target=flip, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        stop.set()
        thread.join()


def test_swapped_directory_never_leaks(flipping: Path) -> None:
    async def main() -> None:
        served = 0
        async with serve(static_app(flipping)) as base:
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                raw = await raw_request(base, get("/static/d/f.txt"))
                assert SECRET not in raw
                status, _, body = parse_response(raw)
                assert status in (200, 404)
                served += status == 200 and body == b"inside"
                await asyncio.sleep(0)
        assert served > 0  # the race was run, not just the 404s

    run(main())
