"""The broadcast layer: groups of live connections that span processes and hosts.

The FAQ's patterns - a registry of a user's WebSockets on the application (to close them from
another handler), a chat room's set of sockets, "a Redis PubSub task per socket" for events from
elsewhere - keep state in one process. With ``workers=N`` or several hosts each process sees only
its own connections, and they fail silently. The layer keeps the same shape (groups, users, a
send, a close) but routes every message through a backend that every process listens to:

* :class:`~.memory.MemoryBackend` (the default): in-process, nothing to run;
* :class:`~.redis_backend.RedisBackend`: Redis pub/sub for live delivery, a Redis stream (MAXLEN)
  as the replay window, heartbeat keys for presence.

Each process keeps a local registry (group -> members, user -> members, connection -> member);
a message from the backend is handed to the local members only. A member leaves when its
connection closes: the handler's :meth:`Broadcast.connection` block ends, a send fails, or the
periodic sweep finds it closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import socket
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from aioweb.framework.websocket import WebSocketResponse, WSCloseCode
from aioweb.server.log import broadcast_logger

from .backend import Backend, MemberInfo
from .errors import BroadcastUnavailable
from .member import Member, Overflow, SSEStream
from .memory import MemoryBackend
from .message import CLOSE, GROUP, USER, Message, encode_data, parse_id

__all__ = ("Broadcast",)

log = broadcast_logger

Connection = WebSocketResponse | SSEStream
_UNCONFIRMED_KEPT = 1000


def _check_name(kind: str, name: str) -> None:
    # Names travel in a line-based frame (redis_backend) and in Redis key names.
    if not name or "\n" in name or len(name) > 256:
        raise ValueError(f"a {kind} name must be 1-256 characters without a newline: {name!r}")


class Broadcast:
    """Join connections to groups, send to groups and users, close a user's connections.

    ``queue_limit`` bounds the messages held for one connection that is not reading;
    ``overflow`` is what happens past it (``"close"``: close with 1008 and let the client resume
    from its last id; ``"drop_oldest"``); ``sweep_interval`` is how often closed connections
    that were not left explicitly are found. ``name`` (default: the host name) starts this
    process's node id in presence records, to tell hosts apart.
    """

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        queue_limit: int = 256,
        overflow: Overflow = "close",
        sweep_interval: float = 1.0,
        name: str | None = None,
    ) -> None:
        if queue_limit < 1:
            raise ValueError("queue_limit must be at least 1")
        if overflow not in ("close", "drop_oldest"):
            raise ValueError(f"overflow must be 'close' or 'drop_oldest', not {overflow!r}")
        self.backend: Backend = backend if backend is not None else MemoryBackend()
        self.queue_limit = queue_limit
        self.overflow: Overflow = overflow
        self.sweep_interval = sweep_interval
        self.name = name
        #: this process's name in presence records, set by :meth:`start`
        self.node = ""
        self._by_conn: dict[int, Member] = {}
        self._groups: dict[str, dict[Member, None]] = {}
        self._users: dict[str, dict[Member, None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._sent = itertools.count(1)
        #: origins of sends the backend refused (delivered here already), oldest first
        self._unconfirmed: dict[str, None] = {}

    # -- life cycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Connect the backend (in each worker process: the node id names this process)."""
        self.node = f"{self.name or socket.gethostname()}.{os.getpid()}.{secrets.token_hex(3)}"
        await self.backend.start(self.node, self._dispatch)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def stop(self) -> None:
        """Stop the sweep and the backend (the connections themselves are the server's)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for member in list(self._by_conn.values()):
            member.cancel()
        self._by_conn.clear()
        self._groups.clear()
        self._users.clear()
        await self.backend.stop()
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> Broadcast:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- membership ----------------------------------------------------------------------

    async def join(
        self,
        conn: Connection,
        *groups: str,
        user: str | None = None,
        last_id: str | None = None,
        envelope: bool = True,
    ) -> Member:
        """Add a prepared WebSocket or SSE stream to ``groups`` (and to ``user``'s connections).

        ``last_id`` (the first join only): the id of the last message the client has - the SSE
        ``Last-Event-ID``, or what a WebSocket client sends - and the messages after it still in
        the window are delivered first, in order, once each. An id that is not one (untrusted
        input) is ignored. ``member.complete`` is False when the window no longer reached back.
        ``envelope=False`` (first join, WebSockets): frames carry the data alone, as a page
        that does not resume wants them.
        """
        for group in groups:
            _check_name("group", group)
        member = self._by_conn.get(id(conn))
        if member is None:
            member = self._new_member(conn, user, last_id, envelope)
        added = [group for group in groups if group not in member.groups]
        for group in added:
            member.groups.add(group)
            self._groups.setdefault(group, {})[member] = None
        await self.backend.add_presence(member.id, member.user, added)
        if member.held is not None:
            await self._replay(member, last_id or "")
        return member

    def _new_member(
        self, conn: Connection, user: str | None, last_id: str | None, envelope: bool
    ) -> Member:
        if user is not None:
            _check_name("user", user)
        last = None
        if last_id:
            try:
                last = parse_id(last_id)
            except ValueError:
                log.debug("broadcast: ignoring a last id that is not one: %r", last_id[:40])
        member = Member(
            conn, self.node, user, last, self.queue_limit, self.overflow, self._forget, envelope
        )
        if last is not None:
            member.held = []  # live messages wait while the replay is read
        self._by_conn[id(conn)] = member
        if user is not None:
            self._users.setdefault(user, {})[member] = None
        return member

    async def _replay(self, member: Member, last_id: str) -> None:
        """Missed messages first, then what arrived live meanwhile; ids drop the overlap."""
        replay = None
        try:
            replay = await self.backend.replay(last_id)
        except BroadcastUnavailable as exc:
            log.debug("broadcast: no replay for %s: %s", member.id, exc)
        held, member.held = member.held or [], None
        member.complete = replay is not None and replay.complete
        if replay is not None:
            for msg in replay.messages:
                if (msg.kind == GROUP and msg.target in member.groups) or (
                    msg.kind == USER and msg.target == member.user
                ):
                    member.deliver(msg)
        for msg in held:
            member.deliver(msg)

    async def leave(self, conn: Connection, *groups: str) -> None:
        """Leave ``groups``, or everything (and the user's connections) when none is given."""
        member = self._by_conn.get(id(conn))
        if member is None:
            return
        if not groups:
            self._forget(member, background=False)
            await self.backend.remove_presence(member.id, list(member.groups))
            return
        gone = [group for group in groups if group in member.groups]
        for group in gone:
            member.groups.discard(group)
            self._discard(self._groups, group, member)
        await self.backend.remove_presence(member.id, gone)

    @contextlib.asynccontextmanager
    async def connection(
        self,
        conn: Connection,
        *groups: str,
        user: str | None = None,
        last_id: str | None = None,
        envelope: bool = True,
    ) -> AsyncIterator[Member]:
        """``async with layer.connection(ws, "room", user=uid):`` - joined for the block."""
        member = await self.join(conn, *groups, user=user, last_id=last_id, envelope=envelope)
        try:
            yield member
        finally:
            await self.leave(conn)

    def _forget(self, member: Member, background: bool = True) -> None:
        """Drop a member from the local registry now, and from presence in the background
        (or by the caller, ``background=False``)."""
        if self._by_conn.get(id(member.conn)) is not member:
            return
        del self._by_conn[id(member.conn)]
        for group in member.groups:
            self._discard(self._groups, group, member)
        if member.user is not None:
            self._discard(self._users, member.user, member)
        if member.groups and background:
            self._background(self.backend.remove_presence(member.id, list(member.groups)))

    @staticmethod
    def _discard(index: dict[str, dict[Member, None]], key: str, member: Member) -> None:
        members = index.get(key)
        if members is not None:
            members.pop(member, None)
            if not members:
                del index[key]

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            for member in [m for m in self._by_conn.values() if m.closed]:
                self._forget(member)

    # -- sending -------------------------------------------------------------------------

    async def send(self, group: str, data: Any, *, event: str | None = None) -> str | None:
        """Send ``data`` (a ``str``, or a JSON value) to every member of ``group``; its id.

        Raises :class:`BroadcastUnavailable` when the backend cannot take it in time (the
        members in this process have been given it anyway, without an id).
        """
        _check_name("group", group)
        return await self._publish(GROUP, group, data, event)

    async def send_user(self, user: str, data: Any, *, event: str | None = None) -> str | None:
        """Send ``data`` to every connection of ``user``, in every process; its id."""
        _check_name("user", user)
        return await self._publish(USER, user, data, event)

    async def _publish(self, kind: str, target: str, data: Any, event: str | None) -> str | None:
        """Through the backend; when it refuses, to this process's members at once.

        A refusal after a timeout is "not confirmed", not "not sent": Redis may still take the
        message and deliver it later. Its origin is remembered, so this process's members,
        who had it already, do not get it twice.
        """
        text, is_json = encode_data(data)
        origin = f"{self.node}:{next(self._sent)}"
        try:
            return await self.backend.publish(kind, target, text, is_json, event, origin)
        except BroadcastUnavailable:
            unconfirmed = self._unconfirmed
            unconfirmed[origin] = None
            if len(unconfirmed) > _UNCONFIRMED_KEPT:
                del unconfirmed[next(iter(unconfirmed))]
            self._dispatch(Message(None, kind, target, text, is_json, event))
            raise

    async def close_user(
        self, user: str, *, code: int = WSCloseCode.OK, message: bytes | str = b""
    ) -> int:
        """Close every connection of ``user`` in every process (WebSockets with ``code``, SSE
        streams ended): the FAQ's server-side close. Waits for this process's closes and
        returns their number; the other processes close theirs when the message reaches them.
        """
        _check_name("user", user)
        text = message.decode("utf-8") if isinstance(message, bytes) else message
        count = len(self._users.get(user, ()))
        local = self._close_local(user, code, text)
        if local:
            await asyncio.gather(*local, return_exceptions=True)
        origin = f"{self.node}:{next(self._sent)}"
        await self.backend.publish(CLOSE, user, f"{code} {text}", False, None, origin)
        return count

    def _close_local(self, user: str, code: int, text: str) -> list[asyncio.Future[Any]]:
        """Close this process's connections of ``user``; the WebSocket closes to wait for."""
        closing: list[asyncio.Future[Any]] = []
        for member in list(self._users.get(user, ())):
            waiter = member.close(code, text.encode("utf-8"))
            if waiter is not None:
                closing.append(asyncio.ensure_future(waiter))
        return closing

    # -- reading -------------------------------------------------------------------------

    async def members(self, group: str) -> list[MemberInfo]:
        """The members of ``group`` in every live process (a dead host's drop out within the
        backend's presence TTL)."""
        return await self.backend.members(group)

    def local_members(self, group: str) -> list[Member]:
        """The members of ``group`` connected to this process."""
        return list(self._groups.get(group, ()))

    def _dispatch(self, msg: Message) -> None:
        """A message from the backend: hand it to the local members it is for (never waits)."""
        if self._unconfirmed and msg.origin in self._unconfirmed:
            del self._unconfirmed[msg.origin]  # delivered here already, when it was refused
            return
        kind = msg.kind
        if kind == GROUP:
            members = self._groups.get(msg.target)
        elif kind == USER:
            members = self._users.get(msg.target)
        else:
            if kind == CLOSE:
                code, _, text = msg.data.partition(" ")
                for waiter in self._close_local(msg.target, int(code), text):
                    self._background(waiter)
            return
        if members:
            for member in tuple(members):
                member.deliver(msg)
