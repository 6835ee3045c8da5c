"""Real clients for the broadcast tests: aiohttp's WebSocket client and a small SSE reader on
aiohttp's client (the event-stream grammar: ``field: value`` lines, a blank line ends an
event)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp


@dataclass
class Received:
    """What one client got: (id, data) in arrival order, and how its connection ended."""

    messages: list[tuple[str | None, Any]] = field(default_factory=list)
    close_code: int | None = None

    @property
    def last_id(self) -> str | None:
        ids = [i for i, _ in self.messages if i is not None]
        return ids[-1] if ids else None


async def read_ws(ws: aiohttp.ClientWebSocketResponse, into: Received) -> None:
    """Collect envelopes until the server closes the socket."""
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT:
            env = json.loads(msg.data)
            into.messages.append((env["id"], env["data"]))
    into.close_code = ws.close_code


async def read_sse(resp: aiohttp.ClientResponse, into: Received) -> None:
    """Collect SSE events (id, data) until the stream ends."""
    ident: str | None = None
    data: list[str] = []
    async for raw in resp.content:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if data:
                into.messages.append((ident, "\n".join(data)))
            ident, data = None, []
        elif line.startswith("id:"):
            ident = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" ") if line.startswith("data: ") else line[5:])


async def wait_until(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(interval)
    return bool(predicate())
