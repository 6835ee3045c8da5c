"""The benchmark application, written once for both aiohttp and aioweb.

aioweb's server API is aiohttp's, so the framework is chosen by import alone: ``--framework
aiohttp`` imports ``aiohttp.web``, ``--framework aioweb`` imports ``aioweb``.  Everything else
(routes, handlers, run options) is identical, which is what makes the ratio meaningful.

Both run on uvloop with the access log off, as a production deployment would.

Routes:
    GET  /                  plaintext "Hello, World!"
    GET  /json              {"message": "Hello, World!"} via json_response
    GET  /user/{id}         registered after 50 other routes (25 static, 25 dynamic)
    POST /echo              reads the whole body and sends it back
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
from typing import Any

HELLO = "Hello, World!"


def load_web(framework: str) -> Any:
    """Return the ``web`` module of the chosen framework."""
    if framework == "aiohttp":
        return importlib.import_module("aiohttp.web")
    if framework == "aioweb":
        return importlib.import_module("aioweb")
    raise SystemExit(f"unknown framework {framework!r}")


def build_app(web: Any) -> Any:
    """Build the same application on whichever ``web`` module is given."""

    async def plaintext(request: Any) -> Any:
        return web.Response(text=HELLO)

    async def json_handler(request: Any) -> Any:
        return web.json_response({"message": HELLO})

    async def user(request: Any) -> Any:
        return web.Response(text=f"user {request.match_info['id']}")

    async def echo(request: Any) -> Any:
        body = await request.read()
        return web.Response(body=body, content_type="application/octet-stream")

    async def other(request: Any) -> Any:
        return web.Response(text="other")

    app = web.Application()
    # 50 routes registered before /user/{id}, so a router that scans linearly pays for them.
    for i in range(25):
        app.router.add_get(f"/static/page{i}", other)
    for i in range(25):
        app.router.add_get(f"/api/v{i}/{{item}}/detail", other)
    app.router.add_get("/user/{id}", user)
    app.router.add_get("/", plaintext)
    app.router.add_get("/json", json_handler)
    app.router.add_post("/echo", echo)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--framework",
        default=os.environ.get("BENCH_FRAMEWORK", "aiohttp"),
        choices=["aiohttp", "aioweb"],
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--workers", type=int, default=1, help="aioweb only: worker processes")
    args = parser.parse_args()

    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web = load_web(args.framework)
    extra = {"workers": args.workers} if args.workers != 1 else {}
    web.run_app(
        build_app(web), host=args.host, port=args.port, access_log=None, print=None, **extra
    )


if __name__ == "__main__":
    main()
