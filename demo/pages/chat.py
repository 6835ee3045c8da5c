"""A WebSocket chat room: every message typed in one browser tab appears in all of them.

One ``WebSocketResponse`` per tab, joined to the "chat" group of the broadcast layer
(``aioweb.broadcast``): a message goes to every tab in every worker process, and the online
count is the group's members across processes. The layer is in-process by default; with
``AIOWEB_DEMO_REDIS=redis://...`` set it runs on Redis, and the room works the same with
``workers=N`` or several hosts. Each socket's handler is the only task that reads from it. A
tab that disappears without closing is noticed by the heartbeat (a ping every 20 s) and leaves
the room. The process's own sockets are also kept on the application, to close at shutdown.
"""

from __future__ import annotations

import json
import os
from typing import Any

from aioweb import web
from aioweb.broadcast import (
    Broadcast,
    BroadcastUnavailable,
    broadcast_key,
    get_broadcast,
    setup_broadcast,
)
from demo import layout

TITLE = "WebSocket chat room"
LABEL = "Chat"
SUMMARY = (
    "A chat room over WebSockets: every message typed in one tab appears in all of them, with "
    "a heartbeat that notices tabs that vanish."
)
PATH = "/chat/"
GROUP = "chat"

rooms_key: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("chat_rooms", set)

BODY = """<p id=status>connecting…</p>
<div id=log class=chat-log aria-live=polite></div>
<form id=form class=chat-form autocomplete=off>
  <input id=name size=10 placeholder=name aria-label=name>
  <input id=text placeholder="say something" aria-label=message>
  <button id=send>Send</button>
</form>
<p class=muted>Open this page in a second tab (or on your phone): each tab is one
<code>WebSocketResponse</code> joined to a group of the broadcast layer, and a message is
sent to all of them, in every worker process, with <code>await layer.send("chat", ...)</code>.</p>
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


async def broadcast(layer: Broadcast, payload: dict[str, Any]) -> None:
    """Send to every tab in every process (the layer writes to each socket without waiting
    on the slow ones). With Redis down the tabs of this process still get it."""
    try:
        await layer.send(GROUP, payload)
    except BroadcastUnavailable:
        pass


async def online(layer: Broadcast) -> int:
    try:
        return len(await layer.members(GROUP))
    except BroadcastUnavailable:
        return len(layer.local_members(GROUP))


async def chat(request: web.Request) -> web.WebSocketResponse:
    layer = get_broadcast(request)
    room = request.app[rooms_key]
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    room.add(ws)
    try:
        async with layer.connection(ws, GROUP, envelope=False):
            count = await online(layer)
            await broadcast(layer, {"type": "system", "text": "someone joined", "online": count})
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
                await broadcast(layer, {"type": "message", "name": name, "text": text})
    finally:
        room.discard(ws)
    count = await online(layer)
    await broadcast(layer, {"type": "system", "text": "someone left", "online": count})
    return ws


async def close_room(app: web.Application) -> None:
    """``on_shutdown``: close every socket (1001, going away) so shutdown need not wait."""
    for ws in list(app[rooms_key]):
        await ws.close(code=web.WSCloseCode.GOING_AWAY, message=b"server shutdown")


def setup(app: web.Application) -> None:
    layout.install(app)
    if broadcast_key not in app:
        redis_url = os.environ.get("AIOWEB_DEMO_REDIS")
        if redis_url:  # the redis package is needed only then (aioweb[redis])
            from aioweb.broadcast import RedisBackend

            setup_broadcast(app, RedisBackend(redis_url))
        else:
            setup_broadcast(app)
    app[rooms_key] = set()
    app.on_shutdown.append(close_room)
    app.router.add_get("/chat/", page)
    app.router.add_get("/chat/ws", chat)
