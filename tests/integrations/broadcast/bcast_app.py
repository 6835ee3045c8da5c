"""The application the broadcast tests serve: every operation of the layer behind a route.

Run as a script it is one *host* of the multi-host test (``--workers``, ``--redis``); imported,
``make_app(backend)`` builds the same application for in-process tests.

* ``GET /ws?user=&groups=a,b&last=`` - a WebSocket joined to the groups (text frames the client
  sends are ``{"group": g, "data": d}`` and are broadcast);
* ``GET /sse?user=&groups=`` - an SSE stream joined the same way (``Last-Event-ID`` resumes);
* ``POST /send?group=``, ``/send_user?user=`` (body: the data), ``/close_user?user=&code=``;
* ``GET /members?group=``, ``GET /whoami`` (pid and node).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from aioweb import web
from aioweb.broadcast import Backend, BroadcastUnavailable, get_broadcast, setup_broadcast
from aioweb.sse import sse_response


def _groups(request: web.Request) -> list[str]:
    return [g for g in request.query.get("groups", "").split(",") if g]


async def ws_handler(request: web.Request) -> web.WebSocketResponse:
    layer = get_broadcast(request)
    ws = web.WebSocketResponse(heartbeat=request.app.get("heartbeat"))
    await ws.prepare(request)
    user = request.query.get("user") or None
    async with layer.connection(
        ws, *_groups(request), user=user, last_id=request.query.get("last")
    ):
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                payload = json.loads(msg.data)
                await layer.send(payload["group"], payload["data"])
    return ws


async def sse_handler(request: web.Request) -> web.StreamResponse:
    layer = get_broadcast(request)
    user = request.query.get("user") or None
    async with (
        sse_response(request) as stream,
        layer.connection(stream, *_groups(request), user=user, last_id=stream.last_event_id),
    ):
        await stream.wait()
    return stream


async def send(request: web.Request) -> web.Response:
    data = await request.text()
    try:
        ident = await get_broadcast(request).send(request.query["group"], data)
    except BroadcastUnavailable as exc:
        return web.json_response({"error": str(exc)}, status=503)
    return web.json_response({"id": ident})


async def send_user(request: web.Request) -> web.Response:
    ident = await get_broadcast(request).send_user(request.query["user"], await request.text())
    return web.json_response({"id": ident})


async def close_user(request: web.Request) -> web.Response:
    code = int(request.query.get("code", "1000"))
    closed = await get_broadcast(request).close_user(
        request.query["user"], code=code, message="bye"
    )
    return web.json_response({"closed_here": closed})


async def members(request: web.Request) -> web.Response:
    found = await get_broadcast(request).members(request.query["group"])
    return web.json_response(sorted([m.id, m.user, m.node] for m in found))


async def whoami(request: web.Request) -> web.Response:
    return web.json_response({"pid": os.getpid(), "node": get_broadcast(request).node})


def make_app(backend: Backend | None = None, **options: Any) -> web.Application:
    app = web.Application()
    setup_broadcast(app, backend, **options)
    app.router.add_get("/ws", ws_handler)
    app.router.add_get("/sse", sse_handler)
    app.router.add_post("/send", send)
    app.router.add_post("/send_user", send_user)
    app.router.add_post("/close_user", close_user)
    app.router.add_get("/members", members)
    app.router.add_get("/whoami", whoami)
    return app


def main() -> None:
    from aioweb.broadcast import RedisBackend

    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--presence-ttl", type=float, default=3.0)
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    backend = RedisBackend(args.redis, presence_ttl=args.presence_ttl, timeout=2.0)
    app = make_app(backend, sweep_interval=0.5, name=args.name)
    web.run_app(app, host=args.host, port=args.port, workers=args.workers, print=None)


if __name__ == "__main__":
    main()
