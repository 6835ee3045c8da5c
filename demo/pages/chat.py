"""A WebSocket chat room: every message typed in one browser tab appears in all of them.

One ``WebSocketResponse`` per tab; the set of open sockets lives on the application (the
FAQ's "shared registry" pattern). Each socket's handler is the only task that reads from it,
and any handler may send to all of them. A tab that disappears without closing is noticed
by the heartbeat (a ping every 20 s) and dropped from the room.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aioweb import web
from demo import layout

TITLE = "WebSocket chat room"
LABEL = "Chat"
SUMMARY = (
    "A chat room over WebSockets: every message typed in one tab appears in all of them, with "
    "a heartbeat that notices tabs that vanish."
)
PATH = "/chat/"

rooms_key: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("chat_rooms", set)

BODY = """<p id=status>connecting…</p>
<div id=log class=chat-log aria-live=polite></div>
<form id=form class=chat-form autocomplete=off>
  <input id=name size=10 placeholder=name aria-label=name>
  <input id=text placeholder="say something" aria-label=message>
  <button id=send>Send</button>
</form>
<p class=muted>Open this page in a second tab (or on your phone): each tab is one
<code>WebSocketResponse</code>; the set of open sockets lives on the application, and a
message is sent to all of them with <code>await ws.send_str(...)</code>.</p>
"""

MAX_NAME = 40
MAX_TEXT = 2000


async def page(request: web.Request) -> web.Response:
    return layout.page(
        request,
        "Chat room",
        BODY,
        lead="Type in one tab, read in all of them: a WebSocket per tab.",
        scripts=["/static/chat.js"],
    )


async def broadcast(room: set[web.WebSocketResponse], payload: dict[str, Any]) -> None:
    """Send to every open socket at once; a socket that fails is dropped from the room.

    ``send_str`` is a coroutine in aiohttp: it waits while the peer's buffer is full, so the
    sends run side by side (``gather``) and one slow tab does not hold up the others.
    """
    data = json.dumps(payload)

    async def send(ws: web.WebSocketResponse) -> None:
        try:
            await ws.send_str(data)
        except ConnectionError:
            room.discard(ws)

    await asyncio.gather(*(send(ws) for ws in list(room) if not ws.closed))


async def chat(request: web.Request) -> web.WebSocketResponse:
    room = request.app[rooms_key]
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    room.add(ws)
    await broadcast(room, {"type": "system", "text": "someone joined", "online": len(room)})
    try:
        async for msg in ws:
            if msg.type != web.WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
                name = str(data.get("name", "guest"))[:MAX_NAME]
                text = str(data["text"])[:MAX_TEXT]
            except (ValueError, KeyError, TypeError, AttributeError):
                await ws.send_json({"type": "system", "text": "bad message ignored"})
                continue
            await broadcast(room, {"type": "message", "name": name, "text": text})
    finally:
        room.discard(ws)
        await broadcast(room, {"type": "system", "text": "someone left", "online": len(room)})
    return ws


async def close_room(app: web.Application) -> None:
    """``on_shutdown``: close every socket (1001, going away) so shutdown need not wait."""
    for ws in list(app[rooms_key]):
        await ws.close(code=web.WSCloseCode.GOING_AWAY, message=b"server shutdown")


def setup(app: web.Application) -> None:
    layout.install(app)
    app[rooms_key] = set()
    app.on_shutdown.append(close_room)
    app.router.add_get("/chat/", page)
    app.router.add_get("/chat/ws", chat)
