"""add_static on a real server: files, index pages, symlinks, versions, and path traversal.

Traversal attempts are sent as raw request lines (and with ``curl --path-as-is``) because
ordinary clients normalise ``..`` away before sending, which would test nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from bodies_util import get, parse_response, raw_request, run, serve

from aioweb import web

pytestmark = pytest.mark.timeout(60)

CURL = shutil.which("curl")
SECRET = b"TOP SECRET: outside the static root"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """<tmp>/secret.txt outside; <tmp>/root/ served."""
    (tmp_path / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "root"
    root.mkdir()
    (root / "index.txt").write_text("root file")
    (root / "app.js").write_text("console.log(1)")
    (root / "a b.txt").write_text("space")
    (root / "ünï.txt").write_text("unicode")
    (root / "sub").mkdir()
    (root / "sub" / "deep.txt").write_text("deep")
    (root / "<script>alert(1)<script>.txt").write_text("xss")
    (root / "link-out.txt").symlink_to(tmp_path / "secret.txt")
    (root / "link-dir-out").symlink_to(tmp_path)
    (root / "link-in.txt").symlink_to(root / "index.txt")
    return tmp_path


def static_app(root: Path, **kwargs: object) -> web.Application:
    app = web.Application()
    app.router.add_static("/static", root, name="static", **kwargs)  # type: ignore[arg-type]
    return app


TRAVERSALS = [
    "/static/../secret.txt",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2E/secret.txt",
    "/static/.%2e/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/..%2Fsecret.txt",
    "/static/sub/..%2f..%2fsecret.txt",
    "/static/sub/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/..\\secret.txt",
    "/static/sub\\..\\..\\secret.txt",
    "/static/%252e%252e/secret.txt",
    "/static/%00/../secret.txt",
    "/static/index.txt%00.js",
    "/static//../secret.txt",
    "/static/./../secret.txt",
    "/static/link-out.txt",
    "/static/link-dir-out/secret.txt",
    "/static/link-dir-out/root/index.txt/../../secret.txt",
    "/static/" + "../" * 20 + "etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/" + "%2e%2e%2f" * 10 + "etc/passwd",
    "/static/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 for "."
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_traversal_never_escapes(tree: Path, path: str) -> None:
    async def main() -> None:
        async with serve(static_app(tree / "root")) as base:
            status, _, body = parse_response(await raw_request(base, get(path)))
            assert status in (400, 403, 404), (path, status)
            assert SECRET not in body
            assert b"root:" not in body

    run(main())


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_traversal_with_curl_path_as_is(tree: Path) -> None:
    async def main() -> None:
        async with serve(static_app(tree / "root")) as base:
            for path in TRAVERSALS[:12]:
                proc = await asyncio.create_subprocess_exec(
                    CURL, "-s", "--path-as-is", "-o", "-", "-w", "%{http_code}", base + path,
                    stdout=subprocess.PIPE,
                )  # fmt: skip
                out, _ = await proc.communicate()
                assert SECRET not in out, path
                assert out[-3:] in (b"400", b"403", b"404"), (path, out[-3:])

    run(main())


def test_follow_symlinks_true_allows_links_but_not_dotdot(tree: Path) -> None:
    async def main() -> None:
        async with serve(static_app(tree / "root", follow_symlinks=True)) as base:
            async with httpx.AsyncClient() as client:
                r = await client.get(f"{base}/static/link-out.txt")
                assert r.status_code == 200 and r.content == SECRET  # the owner asked for it
            status, _, body = parse_response(await raw_request(base, get("/static/../secret.txt")))
            assert status in (403, 404) and SECRET not in body

    run(main())


def test_files_and_symlinks_inside(tree: Path) -> None:
    async def main() -> None:
        async with serve(static_app(tree / "root")) as base, httpx.AsyncClient() as client:
            r = await client.get(f"{base}/static/index.txt")
            assert r.status_code == 200 and r.text == "root file"
            assert r.headers["Content-Type"].startswith("text/plain")
            r = await client.get(f"{base}/static/app.js")
            assert r.headers["Content-Type"].startswith("text/javascript")
            r = await client.get(f"{base}/static/sub/deep.txt")
            assert r.text == "deep"
            r = await client.get(f"{base}/static/a%20b.txt")
            assert r.text == "space"
            r = await client.get(f"{base}/static/%C3%BCn%C3%AF.txt")
            assert r.text == "unicode"
            r = await client.get(f"{base}/static/link-in.txt")  # a symlink that stays inside
            assert r.status_code == 200 and r.text == "root file"
            assert (await client.get(f"{base}/static/missing.txt")).status_code == 404
            assert (await client.get(f"{base}/static/sub")).status_code == 403
            assert (await client.get(f"{base}/static/sub/")).status_code == 403
            assert (await client.get(f"{base}/static")).status_code in (403, 404)
            r = await client.post(f"{base}/static/index.txt")
            assert r.status_code == 405
            r = await client.head(f"{base}/static/index.txt")
            assert r.status_code == 200 and r.headers["Content-Length"] == "9"
            r = await client.get(f"{base}/static/index.txt", headers={"Range": "bytes=0-3"})
            assert r.status_code == 206 and r.text == "root"

    run(main())


def test_index_page_escapes_names(tree: Path) -> None:
    async def main() -> None:
        app = static_app(tree / "root", show_index=True)
        async with serve(app) as base, httpx.AsyncClient() as client:
            r = await client.get(f"{base}/static/")
            assert r.status_code == 200
            assert r.headers["Content-Type"].startswith("text/html")
            page = r.text
            assert "<script>alert" not in page
            assert "&lt;script&gt;alert(1)&lt;script&gt;.txt" in page
            assert 'href="/static/%3Cscript%3Ealert(1)%3Cscript%3E.txt"' in page
            assert 'href="/static/a%20b.txt"' in page
            assert 'href="/static/sub">sub/</a>' in page
            assert "<title>Index of /.</title>" in page  # aiohttp's layout, byte for byte
            assert page.startswith("<html>\n<head>\n") and page.endswith("</ul>\n</body>\n</html>")
            r = await client.get(f"{base}/static/sub")
            assert r.status_code == 200 and 'href="/static/sub/deep.txt"' in r.text
            assert r.text == (
                "<html>\n<head>\n<title>Index of /sub</title>\n</head>\n<body>\n"
                '<h1>Index of /sub</h1>\n<ul>\n<li><a href="/static/sub/deep.txt">deep.txt</a>'
                "</li>\n</ul>\n</body>\n</html>"
            )
            # and each link works
            r = await client.get(f"{base}/static/%3Cscript%3Ealert(1)%3Cscript%3E.txt")
            assert r.text == "xss"

    run(main())


def test_url_for_and_append_version(tree: Path) -> None:
    root = tree / "root"
    app = static_app(root, append_version=True)
    resource = app.router["static"]
    digest = hashlib.sha256((root / "app.js").read_bytes()).digest()
    expected = base64.urlsafe_b64encode(digest).decode()
    url = resource.url_for(filename="app.js")
    assert url.path == "/static/app.js"
    assert url.query["v"] == expected
    assert "v" not in resource.url_for(filename="app.js", append_version=False).query
    assert "v" not in resource.url_for(filename="missing.js").query
    assert "v" not in resource.url_for(filename="../secret.txt").query
    assert str(resource.url_for(filename="a b.txt", append_version=False)) == "/static/a%20b.txt"
    # a changed file gets a new version
    (root / "app.js").write_text("console.log(2)")
    os.utime(root / "app.js", ns=(0, 10**18))
    assert resource.url_for(filename="app.js").query["v"] != expected
    info = resource.get_info()
    assert info["prefix"] == "/static" and info["directory"] == root.resolve()


def test_bad_directory_rejected(tmp_path: Path) -> None:
    app = web.Application()
    with pytest.raises(ValueError):
        app.router.add_static("/s", tmp_path / "nope")
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError):
        app.router.add_static("/s", tmp_path / "f")


def test_static_in_subapp_and_with_route_table(tree: Path) -> None:
    async def main() -> None:
        sub = web.Application()
        sub.router.add_static("/files", tree / "root")
        app = web.Application()
        app.add_subapp("/sub", sub)
        routes = web.RouteTableDef()
        routes.static("/s2", tree / "root")
        app.add_routes(routes)
        async with serve(app) as base, httpx.AsyncClient() as client:
            assert (await client.get(f"{base}/sub/files/index.txt")).text == "root file"
            assert (await client.get(f"{base}/s2/sub/deep.txt")).text == "deep"

    run(main())
