"""A WebSocket chat room: every message typed in one browser tab appears in all of them.

One ``WebSocketResponse`` per tab; the set of open sockets lives on the application (the
FAQ's "shared registry" pattern). Each socket's handler is the only task that reads from it,
and any handler may send to all of them. A tab that disappears without closing is noticed
by the heartbeat (a ping every 20 s) and dropped from the room.
"""

from __future__ import annotations

import json
from typing import Any

from aioweb import web

TITLE = "WebSocket chat room"
PATH = "/chat/"

rooms_key: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("chat_rooms", set)

PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<title>Chat · aioweb demo</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
#log{border:1px solid #ddd;border-radius:6px;height:20rem;overflow-y:auto;padding:.5rem 1rem}
#log p{margin:.2rem 0} .sys{color:#666;font-style:italic} b{color:#1a5fb4}
form{display:flex;gap:.5rem;margin-top:.6rem} #text{flex:1}
#status{font-size:.9rem;color:#666}
</style></head><body>
<h1>Chat room</h1>
<p id=status>connecting…</p>
<div id=log aria-live=polite></div>
<form id=form autocomplete=off>
  <input id=name size=10 placeholder=name aria-label=name>
  <input id=text placeholder="say something" aria-label=message>
  <button id=send>Send</button>
</form>
<p><a href="/">← all demos</a></p>
<script>
const log = document.getElementById('log');
const statusEl = document.getElementById('status');
const nameInput = document.getElementById('name');
nameInput.value = 'guest' + Math.floor(Math.random() * 1000);
const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
const ws = new WebSocket(scheme + location.host + '/chat/ws');
function line(who, text, cls) {
  // Built from text nodes, never innerHTML: a message cannot inject markup.
  const p = document.createElement('p');
  if (cls) p.className = cls;
  if (who) {
    const b = document.createElement('b');
    b.textContent = who;
    p.append(b, ': ');
  }
  p.append(text);
  log.appendChild(p);
  log.scrollTop = log.scrollHeight;
}
ws.onopen = () => { statusEl.textContent = 'connected'; document.body.dataset.state = 'open'; };
ws.onclose = (e) => {
  statusEl.textContent = 'disconnected (' + e.code + ')';
  document.body.dataset.state = 'closed';
};
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.type === 'message') line(m.name, m.text);
  else line(null, m.text, 'sys');
  if (m.online !== undefined) statusEl.textContent = 'connected · ' + m.online + ' online';
};
document.getElementById('form').onsubmit = (e) => {
  e.preventDefault();
  const text = document.getElementById('text');
  if (!text.value || ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({name: nameInput.value || 'guest', text: text.value}));
  text.value = '';
};
</script>
</body></html>
"""

MAX_NAME = 40
MAX_TEXT = 2000


async def page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


def broadcast(room: set[web.WebSocketResponse], payload: dict[str, Any]) -> None:
    """Send to every open socket; ``send_str`` queues at once, so no awaiting is needed."""
    data = json.dumps(payload)
    for ws in list(room):
        if not ws.closed:
            try:
                ws.send_str(data)
            except ConnectionError:
                room.discard(ws)


async def chat(request: web.Request) -> web.WebSocketResponse:
    room = request.app[rooms_key]
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    room.add(ws)
    broadcast(room, {"type": "system", "text": "someone joined", "online": len(room)})
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
            broadcast(room, {"type": "message", "name": name, "text": text})
    finally:
        room.discard(ws)
        broadcast(room, {"type": "system", "text": "someone left", "online": len(room)})
    return ws


def setup(app: web.Application) -> None:
    app[rooms_key] = set()
    app.router.add_get("/chat/", page)
    app.router.add_get("/chat/ws", chat)
