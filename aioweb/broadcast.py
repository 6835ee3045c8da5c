"""``aioweb.broadcast``: the public path of :mod:`aioweb.integrations.broadcast`, the layer that
carries WebSocket and SSE messages across worker processes and hosts (in-process by default,
Redis with ``RedisBackend``, which needs the ``redis`` extra and is imported on first use)."""

from typing import TYPE_CHECKING, Any

from aioweb.integrations.broadcast import (
    Backend,
    Broadcast,
    BroadcastError,
    BroadcastUnavailable,
    Member,
    MemberInfo,
    MemoryBackend,
    Message,
    Replay,
    broadcast_key,
    get_broadcast,
    setup_broadcast,
)

if TYPE_CHECKING:
    from aioweb.integrations.broadcast.redis_backend import RedisBackend

__all__ = [
    "Backend",
    "Broadcast",
    "BroadcastError",
    "BroadcastUnavailable",
    "Member",
    "MemberInfo",
    "MemoryBackend",
    "Message",
    "RedisBackend",
    "Replay",
    "broadcast_key",
    "get_broadcast",
    "setup_broadcast",
]


def __getattr__(name: str) -> Any:
    if name == "RedisBackend":
        from aioweb.integrations.broadcast.redis_backend import (  # noqa: PLC0415 (optional dependency: redis)
            RedisBackend,
        )

        return RedisBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
