"""Scenarios for the aiohttp plugins whose registry artifacts ship no runnable tests.

Run as a script in the plugins' virtual environment: ``python plugin_scenarios_app.py aiohttp``
serves each scenario on aiohttp, ``... aioweb`` on aioweb through the opt-in; either way the
application code below is written against ``aiohttp.web``, as the plugins' users write it.
Each scenario runs its app on a real socket, sends real requests with aiohttp's client and
prints what came back (status, the headers that matter, body) as one JSON object, which
``test_plugin_scenarios.py`` compares between the two servers.
"""

import sys  # (no `from __future__ import annotations`: aiohttp-pydantic reads real annotations)

if sys.argv[1] == "aioweb":
    from aioweb.integrations import aiohttp_compat

    aiohttp_compat.enable()

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

Answer = dict[str, Any]
HEADERS = ("Content-Type", "Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Allow")


async def _ask(
    app: web.Application, requests: list[tuple[str, str, dict[str, Any]]]
) -> list[Answer]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    answers = []
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            for method, path, kw in requests:
                async with session.request(method, path, **kw) as resp:
                    body = await resp.text()
                    with_json = resp.content_type == "application/json"
                    answers.append(
                        {
                            "request": f"{method} {path}",
                            "status": resp.status,
                            "headers": {
                                h: resp.headers.get(h) for h in HEADERS if h in resp.headers
                            },
                            "body": json.loads(body) if with_json and body else body[:300],
                        }
                    )
    finally:
        await runner.cleanup()
    return answers


async def remotes() -> list[Answer]:
    import aiohttp_remotes

    async def who(request: web.Request) -> web.Response:
        return web.json_response(
            {"remote": request.remote, "host": request.host.split(":")[0], "scheme": request.scheme}
        )

    app = web.Application()
    await aiohttp_remotes.setup(app, aiohttp_remotes.XForwardedRelaxed())
    app.router.add_get("/who", who)
    forwarded = {
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "shop.example",
    }
    return await _ask(app, [("GET", "/who", {}), ("GET", "/who", {"headers": forwarded})])


async def ratelimiter() -> list[Answer]:
    from aiohttplimiter import Limiter, default_keyfunc

    limiter = Limiter(keyfunc=default_keyfunc)

    @limiter.limit("2/minute")
    async def home(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    @limiter.limit("1/minute", exempt_ips={"127.0.0.1"})
    async def exempt(request: web.Request) -> web.Response:
        return web.Response(text="exempt")

    def slow_down(request: web.Request, exc: Exception) -> web.Response:
        return web.json_response({"error": "slow down"}, status=429)

    @limiter.limit("1/minute", error_handler=slow_down)
    async def custom(request: web.Request) -> web.Response:
        return web.Response(text="custom")

    app = web.Application()
    app.router.add_get("/", home)
    app.router.add_get("/exempt", exempt)
    app.router.add_get("/custom", custom)
    requests = [("GET", path, {}) for path in ("/", "/exempt", "/custom") for _ in range(3)]
    return await _ask(app, requests)


async def middlewares() -> list[Answer]:
    from aiohttp_middlewares import (
        cors_middleware,
        error_middleware,
        https_middleware,
        timeout_middleware,
    )

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def missing(request: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    async def crash(request: web.Request) -> web.Response:
        raise RuntimeError("boom")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    async def scheme(request: web.Request) -> web.Response:
        return web.json_response({"scheme": request.scheme, "secure": request.secure})

    app = web.Application(
        middlewares=[
            https_middleware(),
            cors_middleware(origins=["https://example.org"]),
            error_middleware(),
            timeout_middleware(0.3),
        ]
    )
    app.router.add_get("/ok", ok)
    app.router.add_get("/scheme", scheme)
    app.router.add_get("/missing", missing)
    app.router.add_get("/crash", crash)
    app.router.add_get("/slow", slow)
    origin = {"Origin": "https://example.org"}
    preflight = {**origin, "Access-Control-Request-Method": "GET"}
    return await _ask(
        app,
        [
            ("GET", "/ok", {"headers": origin}),
            ("OPTIONS", "/ok", {"headers": preflight}),
            ("GET", "/ok", {"headers": {"Origin": "https://evil.example"}}),
            ("GET", "/missing", {}),
            ("GET", "/crash", {}),
            ("GET", "/slow", {}),
            ("POST", "/ok", {}),
            ("GET", "/scheme", {}),
            ("GET", "/scheme", {"headers": {"X-Forwarded-Proto": "https"}}),
        ],
    )


async def swagger3() -> list[Answer]:
    from aiohttp_swagger3 import SwaggerDocs, SwaggerUiSettings

    async def add(request: web.Request, a: int, b: int = 1) -> web.Response:
        """
        ---
        summary: Add two numbers
        parameters:
          - name: a
            in: query
            required: true
            schema: {type: integer}
          - name: b
            in: query
            schema: {type: integer, default: 1}
        responses:
          '200':
            description: the sum
        """
        return web.json_response({"sum": a + b})

    app = web.Application()
    docs = SwaggerDocs(app, swagger_ui_settings=SwaggerUiSettings(path="/docs/"), title="t")
    docs.add_routes([web.get("/add", add)])
    answers = await _ask(
        app,
        [
            ("GET", "/add?a=2&b=3", {}),
            ("GET", "/add?a=2", {}),
            ("GET", "/add?a=x", {}),
            ("GET", "/add", {}),
            ("GET", "/docs/", {}),
        ],
    )
    answers[-1]["body"] = "swagger-ui" in answers[-1]["body"].lower()
    return answers


async def pydantic() -> list[Answer]:
    from aiohttp_pydantic import PydanticView, oas
    from pydantic import BaseModel

    class Item(BaseModel):
        name: str
        price: float

    class Items(PydanticView):
        async def post(self, item: Item) -> web.Response:
            return web.json_response(item.model_dump(), status=201)

        async def get(self, q: int = 0) -> web.Response:
            return web.json_response({"q": q})

    class One(PydanticView):
        async def get(self, item_id: int, /, *, x_tag: str = "none") -> web.Response:
            return web.json_response({"id": item_id, "tag": x_tag})

    app = web.Application()
    app.router.add_view("/items", Items)
    app.router.add_view("/items/{item_id}", One)
    oas.setup(app, url_prefix="/oas")
    answers = await _ask(
        app,
        [
            ("POST", "/items", {"json": {"name": "cup", "price": 4}}),
            ("POST", "/items", {"json": {"name": "cup"}}),
            ("POST", "/items", {"data": b"not json"}),
            ("GET", "/items?q=3", {}),
            ("GET", "/items?q=x", {}),
            ("GET", "/items/7", {"headers": {"X-Tag": "red"}}),
            ("GET", "/items/seven", {}),
            ("PUT", "/items/7", {}),
            ("GET", "/oas/spec", {}),
        ],
    )
    spec = answers[-1]["body"]
    answers[-1]["body"] = {p: sorted(m) for p, m in spec["paths"].items()}
    return answers


SCENARIOS: dict[str, Callable[[], Awaitable[list[Answer]]]] = {
    "aiohttp-remotes": remotes,
    "aiohttp-ratelimiter": ratelimiter,
    "aiohttp-middlewares": middlewares,
    "aiohttp-swagger3": swagger3,
    "aiohttp-pydantic": pydantic,
}


async def main() -> None:
    results: dict[str, Any] = {}
    for name, scenario in SCENARIOS.items():
        try:
            results[name] = await scenario()
        except Exception as exc:  # one broken scenario must not hide the others
            results[name] = f"error: {type(exc).__name__}: {exc}"
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
