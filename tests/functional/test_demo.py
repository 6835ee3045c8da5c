"""The demo application's basics pages, served for real and fetched with the test client."""

import httpx
import pytest

from demo.app import build_app


@pytest.mark.parametrize(
    ("path", "status", "needle"),
    [
        ("/", 200, "Basics"),
        ("/basics/", 200, "/basics/hello/world"),
        ("/basics/hello/world", 200, "Hello, world!"),
        ("/basics/users/42", 200, '"id": 42'),
        ("/basics/users/abc", 404, "404"),
        ("/basics/json?q=demo", 200, '"q": "demo"'),
        ("/basics/error/418", 418, "teapot"),
        ("/basics/error/499", 400, "No demo"),
        ("/basics/crash", 500, "Server got itself in trouble"),
        ("/basics/view", 200, '"method": "GET"'),
        ("/basics/admin/", 200, "/basics/admin/items/first"),
        ("/basics/admin/items/first", 200, '"app": "admin"'),
    ],
)
async def test_basics_pages(aiohttp_client, path, status, needle):
    client = await aiohttp_client(build_app())
    resp = await client.get(path)
    assert resp.status == status
    assert needle in await resp.text()
    # every response, the server's own 500 page included (on_response_prepare)
    assert resp.headers["X-Response-Time"].endswith("ms")


async def test_redirect_and_view_methods(aiohttp_client):
    client = await aiohttp_client(build_app())
    resp = await client.get("/basics/redirect", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "/basics/hello/redirected"
    resp = await client.get("/basics/redirect")
    assert await resp.text() == "Hello, redirected!"
    resp = await client.post("/basics/view", data={"a": "1"})
    assert resp.status == 201
    assert await resp.json() == {"method": "POST", "form": {"a": "1"}}
    resp = await client.delete("/basics/view")
    assert resp.status == 204
    resp = await client.patch("/basics/view")
    assert resp.status == 405
    assert set(resp.headers["Allow"].split(",")) == {"GET", "POST", "PUT", "DELETE", "HEAD"}


async def test_streamed_and_gridfs_responses_carry_response_time(
    aioweb_server, mongodb_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Responses whose head is sent inside the handler (GridFS files, SSE) get the header too."""
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)
    server = await aioweb_server(build_app())
    base = str(server.make_url("/"))[:-1]
    async with httpx.AsyncClient() as client:
        r = await client.post(
            base + "/gridfs/upload", files={"file": ("timed.txt", b"hello", "text/plain")}
        )
        assert r.status_code == 303
        r = await client.get(base + "/gridfs/files/timed.txt")
        assert r.status_code == 200 and r.text == "hello"
        assert r.headers["X-Response-Time"].endswith("ms")
        async with client.stream("GET", base + "/sse/clock") as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            assert r.headers["X-Response-Time"].endswith("ms")


async def test_a_browser_gets_its_404_in_the_layout(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(build_app())
    resp = await client.get("/no/such/<page>", headers={"Accept": "text/html,*/*;q=0.8"})
    assert resp.status == 404
    text = await resp.text()
    assert "Nothing is served at <code>/no/such/&lt;page&gt;</code>" in text
    assert 'href="/basics/"' in text  # the navigation
    resp = await client.get("/no/such/page")  # not a browser: the plain answer
    assert resp.status == 404 and await resp.text() == "404: Not Found"
