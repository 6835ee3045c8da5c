"""Broadcast layer: the FAQ's WebSocket patterns (a user's sockets closed from another handler,
a room's broadcast, events from elsewhere) across worker processes and hosts.

::

    from aioweb.broadcast import RedisBackend, get_broadcast, setup_broadcast

    setup_broadcast(app, RedisBackend("redis://127.0.0.1:6379/0"))  # or setup_broadcast(app)

    async def chat(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        layer = get_broadcast(request)
        async with layer.connection(ws, "room", user=uid, last_id=request.query.get("last")):
            async for msg in ws:
                await layer.send("room", {"text": msg.data})
        return ws

See ``docs/scaling.md`` for the delivery guarantees.
"""

from .app import broadcast_key, get_broadcast, setup_broadcast
from .backend import Backend, MemberInfo, Replay
from .errors import BroadcastError, BroadcastUnavailable
from .layer import Broadcast
from .member import Member
from .memory import MemoryBackend
from .message import Message

__all__ = (
    "Backend",
    "Broadcast",
    "BroadcastError",
    "BroadcastUnavailable",
    "Member",
    "MemberInfo",
    "MemoryBackend",
    "Message",
    "Replay",
    "broadcast_key",
    "get_broadcast",
    "setup_broadcast",
)


def __getattr__(name: str) -> object:
    # RedisBackend needs the optional ``redis`` package: imported on first use only.
    if name == "RedisBackend":
        from .redis_backend import RedisBackend  # noqa: PLC0415 (optional dependency: redis)

        return RedisBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
