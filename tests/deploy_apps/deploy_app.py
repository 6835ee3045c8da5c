"""The application the deployment tests serve (through gunicorn, run_app, the CLI, nginx).

GET /        -> this worker's pid
GET /slow    -> the pid, after 1.5 s (for graceful-stop tests)
GET /whoami  -> JSON of request.remote / scheme / host / secure / url as the handler sees them
GET /loop    -> the module of the running event loop's class (uvloop or asyncio...)
GET /ws      -> WebSocket echo, each reply prefixed with request.remote
GET /block   -> blocks the whole event loop (time.sleep) for ?seconds= (60)
GET /crash   -> the worker process exits at once (os._exit), for restart tests

AIOWEB_FAIL_STARTUP=1 makes on_startup raise (boot-failure tests); AIOWEB_TRUSTED and
AIOWEB_PROXY_HEADERS configure the proxy middleware for the factories.
"""

from __future__ import annotations

import asyncio
import os

from aioweb import web
from aioweb.integrations.proxy import proxy_middleware

routes = web.RouteTableDef()


@routes.get("/")
async def pid(request: web.Request) -> web.Response:
    return web.Response(text=str(os.getpid()))


@routes.get("/slow")
async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(1.5)
    return web.Response(text=str(os.getpid()))


@routes.get("/whoami")
async def whoami(request: web.Request) -> web.Response:
    return web.json_response(
        {
            "remote": request.remote,
            "scheme": request.scheme,
            "host": request.host,
            "secure": request.secure,
            "url": str(request.url),
            "pid": os.getpid(),
        }
    )


@routes.get("/loop")
async def loop_kind(request: web.Request) -> web.Response:
    return web.Response(text=type(asyncio.get_running_loop()).__module__)


@routes.get("/ws")
async def websocket_echo(request: web.Request) -> web.WebSocketResponse:
    """Echoes text messages, prefixed with the client address the handler sees."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for message in ws:
        if message.type == web.WSMsgType.TEXT:
            await ws.send_str(f"{request.remote} {message.data}")
    return ws


@routes.get("/block")
async def block(request: web.Request) -> web.Response:
    """Blocks the event loop (a handler doing synchronous work that hangs)."""
    import time

    time.sleep(float(request.query.get("seconds", "60")))
    return web.Response(text="unblocked")


@routes.get("/crash")
async def crash(request: web.Request) -> web.Response:
    os._exit(13)


def make_app(trusted: str | None = None, headers: str = "x-forwarded") -> web.Application:
    middlewares = [proxy_middleware(trusted, headers=headers)] if trusted else []  # type: ignore[arg-type]
    app = web.Application(middlewares=middlewares)
    app.add_routes(routes)
    if os.environ.get("AIOWEB_FAIL_STARTUP"):
        app.on_startup.append(fail_startup)
    return app


async def fail_startup(app: web.Application) -> None:
    raise RuntimeError("the database is not there")


app = make_app()


def create_app(argv: list[str] | None = None) -> web.Application:
    """CLI factory: ``python -m aioweb deploy_app:create_app``; AIOWEB_TRUSTED sets proxies."""
    return make_app(
        os.environ.get("AIOWEB_TRUSTED"), os.environ.get("AIOWEB_PROXY_HEADERS", "x-forwarded")
    )


async def async_factory() -> web.Application:
    """gunicorn accepts an async factory, as aiohttp's worker does."""
    return make_app(os.environ.get("AIOWEB_TRUSTED"))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path")
    parser.add_argument("--trusted")
    parser.add_argument("--headers", default="x-forwarded")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    options = {"path": args.path} if args.path else {"host": args.host, "port": args.port}
    if args.workers != 1:
        options["workers"] = args.workers
    web.run_app(make_app(args.trusted, args.headers), **options)  # type: ignore[arg-type]
