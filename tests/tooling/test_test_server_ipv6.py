"""TestServer on an IPv6 loopback address."""

from aioweb import web
from aioweb.tooling.test_utils import TestClient, TestServer


async def test_ipv6_test_server():
    async def handler(request):
        return web.Response(text=request.remote)

    app = web.Application()
    app.router.add_get("/", handler)
    async with TestClient(TestServer(app, host="::1")) as client:
        resp = await client.get("/")
        assert await resp.text() == "::1"
        assert str(client.make_url("/")).startswith("http://[::1]:")
