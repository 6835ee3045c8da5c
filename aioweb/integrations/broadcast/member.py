"""One joined connection (a WebSocket or an SSE stream) and how messages reach it.

Fan-out is the hot path: a message for a group of 500 connections is 500 deliveries. A WebSocket
send in aioweb writes the frame before it returns and hands back an awaitable that only waits
for back-pressure, so a connection whose transport is not full costs one ``send_str`` call and
no task. Only when the transport is full does the connection get a task, which waits for the
drain and then writes what queued meanwhile. That queue is bounded (``queue_limit``): a client
that does not read cannot grow the server's memory. On overflow the policy applies:

* ``"close"`` (default): the connection is closed with 1008 (policy violation); SSE streams are
  ended. The client reconnects with its last id and the replay window fills the gap, so nothing
  inside the window is lost, only delayed.
* ``"drop_oldest"``: the oldest queued message is dropped (counted in ``dropped``); the client
  stays connected and misses those messages.

SSE streams are sent through ``EventSourceResponse.send`` (which applies its own send timeout),
always from a writer task of the stream's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Iterator
from typing import Any, Final, Literal, Protocol

from aioweb.framework.websocket import WebSocketResponse, WSCloseCode
from aioweb.server.log import broadcast_logger

from .message import Message, MessageId

__all__ = ("Member", "Overflow", "SSEStream")

log = broadcast_logger

Overflow = Literal["close", "drop_oldest"]
_SEND_ERRORS: Final = (ConnectionError, RuntimeError, TimeoutError, OSError)
_counter = itertools.count(1)


class SSEStream(Protocol):
    """What the layer uses of an SSE stream (``aioweb.sse.EventSourceResponse``)."""

    def send(
        self,
        data: str,
        id: str | int | None = ...,
        event: str | None = ...,
        retry: int | None = ...,
    ) -> Awaitable[None]: ...

    def is_connected(self) -> bool: ...

    def stop_streaming(self) -> None: ...


class Member:
    """A connection's membership: its groups, its user, the last id it was given, its queue."""

    __slots__ = (
        "_gone",
        "_task",
        "complete",
        "conn",
        "draining",
        "dropped",
        "envelope",
        "groups",
        "held",
        "id",
        "is_ws",
        "last",
        "limit",
        "pending",
        "policy",
        "user",
    )  # fmt: skip

    def __init__(
        self,
        conn: WebSocketResponse | SSEStream,
        node: str,
        user: str | None,
        last: MessageId | None,
        limit: int,
        policy: Overflow,
        gone: Callable[[Member], None],
        envelope: bool = True,
    ) -> None:
        self.conn = conn
        #: WebSocket frames carry the JSON envelope (id, group/user, event, data); False: the
        #: data alone (no id to resume from)
        self.envelope = envelope
        self.is_ws = isinstance(conn, WebSocketResponse)
        #: unique across processes and hosts: the node id and a per-process counter
        self.id = f"{node}:{next(_counter)}"
        self.user = user
        self.groups: set[str] = set()
        self.last = last
        #: messages that arrived while the replay was being read (None when not replaying)
        self.held: list[Message] | None = None
        self.pending: deque[Message] = deque()
        self.draining = False
        self.dropped = 0
        #: False when the client's last id was older than the replay window (a gap)
        self.complete = True
        self.limit = limit
        self.policy = policy
        self._gone = gone
        self._task: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        conn = self.conn
        if self.is_ws:
            return conn.closed  # type: ignore[union-attr]
        return not conn.is_connected()  # type: ignore[union-attr]

    def deliver(self, msg: Message) -> None:
        """Give the connection ``msg`` unless it has it already (by id); never waits."""
        key = msg.key
        if key is not None:
            last = self.last
            if last is not None and key <= last:
                return
            if self.held is not None:
                self.held.append(msg)
                return
            self.last = key
        if self.draining:
            self._enqueue(msg)
        elif self.is_ws:
            self._write_ws(msg)
        else:
            self.pending.append(msg)
            self._start_writer(None)

    def _enqueue(self, msg: Message) -> None:
        pending = self.pending
        if len(pending) >= self.limit:
            if self.policy == "drop_oldest":
                pending.popleft()
                self.dropped += 1
            else:
                log.warning("broadcast: closing a connection whose queue is full (%d)", self.limit)
                self.close(WSCloseCode.POLICY_VIOLATION, b"too slow")
                return
        pending.append(msg)

    def _write_ws(self, msg: Message) -> None:
        try:
            text = msg.ws_text() if self.envelope else msg.data
            waiter = self.conn.send_str(text)  # type: ignore[union-attr]
            steps = waiter.__await__()
            first = next(steps)
        except StopIteration:
            return  # written, and the transport is not full: the common case
        except _SEND_ERRORS:
            self._gone(self)
            return
        # The transport is full: a task finishes this wait, then writes what queues meanwhile.
        self._start_writer(_resume(steps, first))

    def _start_writer(self, first: Awaitable[Any] | None) -> None:
        self.draining = True
        self._task = asyncio.get_running_loop().create_task(self._write_queued(first))

    async def _write_queued(self, first: Awaitable[Any] | None) -> None:
        conn = self.conn
        try:
            if first is not None:
                await first
            pending = self.pending
            while pending:
                msg = pending.popleft()
                if self.is_ws:
                    text = msg.ws_text() if self.envelope else msg.data
                    await conn.send_str(text)  # type: ignore[union-attr,misc]
                else:
                    await conn.send(msg.data, id=msg.id, event=msg.event)  # type: ignore[union-attr]
        except _SEND_ERRORS:
            self._gone(self)
        finally:
            self.draining = False
            self._task = None

    def close(self, code: int, message: bytes) -> Awaitable[Any] | None:
        """Close the connection (WebSocket: with ``code``; SSE: end the stream); forget it."""
        self._gone(self)
        conn = self.conn
        if self.is_ws:
            if conn.closed:  # type: ignore[union-attr]
                return None
            return asyncio.ensure_future(conn.close(code=code, message=message))  # type: ignore[union-attr]
        with contextlib.suppress(RuntimeError):
            conn.stop_streaming()  # type: ignore[union-attr]
        return None

    def cancel(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()


class _Resumed:
    """Awaiting it continues an awaitable whose first step already ran (and suspended)."""

    __slots__ = ("_first", "_steps")

    def __init__(self, steps: Iterator[Any], first: Any) -> None:
        self._steps = steps
        self._first = first

    def __await__(self) -> Generator[Any, Any, None]:
        steps = self._steps
        pending = self._first
        while True:
            try:
                value = yield pending
            except BaseException as exc:  # cancellation reaches the suspended wait
                throw = getattr(steps, "throw", None)
                if throw is None:
                    raise
                try:
                    pending = throw(exc)
                except StopIteration:
                    return
                continue
            try:
                pending = steps.send(value) if hasattr(steps, "send") else next(steps)
            except StopIteration:
                return


def _resume(steps: Iterator[Any], first: Any) -> _Resumed:
    return _Resumed(steps, first)
