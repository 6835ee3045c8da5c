"""What a broadcast backend does for the layer (a ``typing.Protocol``: two implementations,
:class:`~.memory.MemoryBackend` and :class:`~.redis_backend.RedisBackend`).

The layer owns the connections of its process; a backend carries messages between processes,
keeps the replay window and the presence records. Every message the backend accepts comes back
to *every* layer through ``dispatch``, its own included, in id order: delivery order is the
backend's order, the same in every process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .message import Message

__all__ = ("Backend", "Dispatch", "MemberInfo", "Replay")

Dispatch = Callable[[Message], None]


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """One member of a group, wherever it is connected."""

    id: str  # "<node>:<n>", unique across processes and hosts
    user: str | None
    node: str  # the process (worker) holding the connection


@dataclass(slots=True)
class Replay:
    """The stored messages after a given id; ``complete`` is False when the id is older than
    the window (the client missed more than the window holds: the oldest kept comes first)."""

    messages: list[Message]
    complete: bool


class Backend(Protocol):
    """A message bus with a replay window and presence."""

    async def start(self, node: str, dispatch: Dispatch) -> None:
        """Begin delivering to ``dispatch``; ``node`` names this process in presence records."""

    async def stop(self) -> None:
        """Stop delivering and remove this process's presence records."""

    async def publish(
        self, kind: str, target: str, data: str, is_json: bool, event: str | None, origin: str
    ) -> str | None:
        """Store and deliver a message to every process; its id (None for a control
        message). Raises :class:`~.errors.BroadcastUnavailable` when it cannot confirm it
        (after a timeout the message may still arrive: ``origin`` travels with it)."""

    async def replay(self, after: str) -> Replay:
        """The stored messages with an id above ``after``, oldest first."""

    async def add_presence(self, member: str, user: str | None, groups: list[str]) -> None:
        """Record that ``member`` is in ``groups``."""

    async def remove_presence(self, member: str, groups: list[str]) -> None:
        """Forget ``member`` in ``groups``."""

    async def members(self, group: str) -> list[MemberInfo]:
        """The members of ``group`` in every live process."""
