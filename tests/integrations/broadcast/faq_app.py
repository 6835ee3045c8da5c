"""The seed FAQ's two WebSocket answers, written on the broadcast layer, plus the FAQ's own
in-process registry for contrast; run with ``--workers N``.

* "How do I close a user's WebSockets from another handler?" - ``/echo`` registers the socket
  under its user (``layer.connection(ws, user=...)`` instead of ``app[websockets][user_id]``),
  ``/logout`` closes them (``layer.close_user``), in whichever worker they live.
* "Events from elsewhere (Redis PubSub, a task per socket)" - ``/subscribe`` joins the group
  ``channel:1``; ``/publish`` (or any process with a layer on the same Redis) sends to it. The
  layer's one subscription per process replaces the task per socket.
* ``/naive_echo`` and ``/naive_logout`` are the FAQ's code as written (the registry on the app).

Every WebSocket first receives ``pid <n>``: the worker it landed on.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from aioweb import web
from aioweb.broadcast import RedisBackend, get_broadcast, setup_broadcast

websockets_key = web.AppKey("websockets_key", defaultdict)


def authenticate_user(request: web.Request) -> str:
    return request.query["user"]


async def echo_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    user_id = authenticate_user(request)
    await ws.prepare(request)
    await ws.send_str(f"pid {os.getpid()}")
    async with get_broadcast(request).connection(ws, user=user_id):
        async for msg in ws:
            await ws.send_str(msg.data)
    return ws


async def logout_handler(request: web.Request) -> web.Response:
    user_id = authenticate_user(request)
    await get_broadcast(request).close_user(user_id)
    return web.Response(text="OK")


async def subscribe_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str(f"pid {os.getpid()}")
    async with get_broadcast(request).connection(ws, "channel:1", envelope=False):
        async for _msg in ws:  # a single task reads; the layer sends from elsewhere
            pass
    return ws


async def publish_handler(request: web.Request) -> web.Response:
    await get_broadcast(request).send("channel:1", await request.text())
    return web.Response(text="OK")


async def naive_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    user_id = authenticate_user(request)
    await ws.prepare(request)
    await ws.send_str(f"pid {os.getpid()}")
    request.app[websockets_key][user_id].add(ws)
    try:
        async for msg in ws:
            await ws.send_str(msg.data)
    finally:
        request.app[websockets_key][user_id].remove(ws)
    return ws


async def naive_logout(request: web.Request) -> web.Response:
    user_id = authenticate_user(request)
    for ws in list(request.app[websockets_key][user_id]):
        if not ws.closed:
            await ws.close()
    return web.Response(text="OK")


def make_app(redis_url: str) -> web.Application:
    app = web.Application()
    setup_broadcast(app, RedisBackend(redis_url), sweep_interval=0.5)
    app[websockets_key] = defaultdict(set)
    app.router.add_route("GET", "/echo", echo_handler)
    app.router.add_route("POST", "/logout", logout_handler)
    app.router.add_route("GET", "/subscribe", subscribe_handler)
    app.router.add_route("POST", "/publish", publish_handler)
    app.router.add_route("GET", "/naive_echo", naive_echo)
    app.router.add_route("POST", "/naive_logout", naive_logout)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", required=True)
    args = parser.parse_args()
    web.run_app(make_app(args.redis), host="127.0.0.1", port=args.port, workers=args.workers)
