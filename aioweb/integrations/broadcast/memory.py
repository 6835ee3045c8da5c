"""The in-process backend: the default, with no server to run.

Everything stays in this process: a single-process application behaves as it did without the
layer, and with ``workers=N`` each worker is its own island (use the Redis backend there). The
replay window is a bounded deque with the same ids and the same rules as the Redis stream, so an
application can be written and tested against this backend and deployed on Redis.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from .backend import Dispatch, MemberInfo, Replay
from .message import CLOSE, Message, MessageId, parse_id

__all__ = ("MemoryBackend",)


class MemoryBackend:
    """Messages, window and presence in this process's memory."""

    def __init__(self, *, window: int = 1000) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self._log: deque[Message] = deque(maxlen=window)
        self._last: MessageId = (0, 0)
        #: the id of the newest message pushed out of the window (a last id below it has a gap)
        self._evicted: MessageId | None = None
        self._dispatch: Dispatch | None = None
        self._node = ""
        self._presence: dict[str, dict[str, str | None]] = {}

    async def start(self, node: str, dispatch: Dispatch) -> None:
        self._node = node
        self._dispatch = dispatch

    async def stop(self) -> None:
        self._dispatch = None
        self._presence.clear()

    def _next_id(self) -> str:
        """Stream-id rules: milliseconds since the epoch, a sequence within the millisecond,
        never going back even when the clock does."""
        ms = int(time.time() * 1000)
        last_ms, seq = self._last
        key = (ms, 0) if ms > last_ms else (last_ms, seq + 1)
        self._last = key
        return f"{key[0]}-{key[1]}"

    async def publish(
        self, kind: str, target: str, data: str, is_json: bool, event: str | None, origin: str
    ) -> str | None:
        ident = None if kind == CLOSE else self._next_id()
        msg = Message(ident, kind, target, data, is_json, event, origin)
        if ident is not None:
            if len(self._log) == self.window:
                self._evicted = self._log[0].key
            self._log.append(msg)
        if self._dispatch is not None:
            self._dispatch(msg)
        return ident

    async def replay(self, after: str) -> Replay:
        key = parse_id(after)
        messages = [m for m in self._log if m.key is not None and m.key > key]
        return Replay(messages, self._evicted is None or key >= self._evicted)

    async def add_presence(self, member: str, user: str | None, groups: list[str]) -> None:
        for group in groups:
            self._presence.setdefault(group, {})[member] = user

    async def remove_presence(self, member: str, groups: Iterable[str]) -> None:
        for group in groups:
            members = self._presence.get(group)
            if members is not None:
                members.pop(member, None)
                if not members:
                    del self._presence[group]

    async def members(self, group: str) -> list[MemberInfo]:
        return [
            MemberInfo(member, user, self._node)
            for member, user in self._presence.get(group, {}).items()
        ]
