"""The Redis backend: live delivery over pub/sub, a replay window in a stream, presence with TTLs.

Keys, under ``prefix`` (default ``aioweb:bc``):

* ``<prefix>:stream`` - every group and user message, ``XADD ... MAXLEN ~ window``: the replay
  window. Its ids are the message ids; one stream per layer orders all messages totally, so one
  last id per client is enough, whatever groups it is in.
* ``<prefix>:bus`` - the pub/sub channel every process listens to. A Lua script adds to the stream
  and publishes in one step, so publish order is id order: a process never receives a smaller id
  after a larger one, and can drop anything at or below the last id it saw.
* ``<prefix>:node:<node>`` - a process's heartbeat, ``SET ... PX ttl`` refreshed every third of
  the TTL; ``<prefix>:group:<group>`` - a hash of member id -> node and user. A member whose
  node's heartbeat has expired is not reported (and is removed when seen), so a host that dies
  without a word drops out of every group within ``presence_ttl`` seconds.

Faults: the listener reconnects with capped exponential backoff and, once subscribed again,
reads the stream from the last id it saw (``XRANGE``), so a Redis restart loses nothing the
stream still holds (a Redis that persists: AOF, or a replica promoted by Sentinel). A send that
Redis does not take within ``timeout`` seconds raises
:class:`~aioweb.integrations.broadcast.errors.BroadcastUnavailable`; one warning is logged per
outage (when it starts) and one line when Redis answers again.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from aioweb.server.log import broadcast_logger

from .backend import Dispatch, MemberInfo, Replay
from .errors import BroadcastUnavailable
from .message import CLOSE, Message, MessageId, parse_id

__all__ = ("RedisBackend",)

log = broadcast_logger

_FAULTS = (RedisError, OSError, TimeoutError)

# KEYS[1] the stream; ARGV: maxlen, kind, target, event, is_json, origin, data, channel
_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
    'k', ARGV[2], 't', ARGV[3], 'e', ARGV[4], 'j', ARGV[5], 'o', ARGV[6], 'd', ARGV[7])
redis.call('PUBLISH', ARGV[8], id .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4]
    .. '\\n' .. ARGV[5] .. '\\n' .. ARGV[6] .. '\\n' .. ARGV[7])
return id
"""


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _from_frame(frame: str) -> Message:
    ident, kind, target, event, is_json, origin, data = frame.split("\n", 6)
    return Message(
        None if ident == "-" else ident, kind, target, data, is_json == "1", event or None, origin
    )


def _from_entry(ident: Any, fields: Any) -> Message:
    got = {_text(k): _text(v) for k, v in (fields or {}).items()}
    return Message(
        _text(ident), got["k"], got["t"], got["d"], got["j"] == "1", got["e"] or None, got.get("o")
    )


def _reaches_back(info: dict[str, Any], after: str) -> bool:
    """Whether the stream still holds everything after ``after``: it was never trimmed, or the
    client's own last message is still in it (trimming takes from the oldest end). A last id
    just older than the oldest kept entry counts as a gap: "incomplete" means "may have
    missed messages"."""
    if int(info.get("entries-added", -1)) == int(info.get("length", 0)):
        return True
    first: Any = info.get("first-entry")
    return bool(first) and parse_id(_text(first[0])) <= parse_id(after)


class RedisBackend:
    """Messages, window and presence in Redis (redis-py's asyncio client).

    ``url`` is a ``redis://`` URL, or a ``redis.asyncio.Redis`` client you built (for Sentinel:
    ``Sentinel(...).master_for(name)``). ``window``: messages kept for replay (at least; ``~``
    trimming keeps a little more). ``timeout``: seconds a send may wait for Redis before
    raising. ``presence_ttl``: seconds after which a silent process's members disappear.
    ``max_connections``: the command connections one process opens at most (sends wait for
    a free one, within ``timeout``).
    """

    def __init__(
        self,
        url: str | aioredis.Redis = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "aioweb:bc",
        window: int = 10_000,
        timeout: float = 2.0,
        presence_ttl: float = 5.0,
        backoff_max: float = 2.0,
        max_connections: int = 32,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.url = url
        self.window = window
        self.timeout = timeout
        self.presence_ttl = presence_ttl
        self.backoff_max = backoff_max
        self.max_connections = max_connections
        self._stream = f"{prefix}:stream"
        self._channel = f"{prefix}:bus"
        self._prefix = prefix
        self._client: aioredis.Redis | None = None
        self._sub_client: aioredis.Redis | None = None
        self._script: Any = None
        self._dispatch: Dispatch | None = None
        self._node = ""
        self._seen: MessageId | None = None
        self._outage = False
        self._tasks: list[asyncio.Task[None]] = []
        #: this process's presence, kept here so it can be written again after Redis lost it
        self._local: dict[str, tuple[str | None, set[str]]] = {}
        self._resync = False
        #: set once the listener is subscribed (tests and start() wait for it)
        self.subscribed = asyncio.Event()

    # -- life cycle ----------------------------------------------------------------------

    def _connect(self) -> tuple[aioredis.Redis, aioredis.Redis]:
        if isinstance(self.url, str):
            opts: dict[str, Any] = {
                "socket_connect_timeout": self.timeout,
                "decode_responses": True,
            }
            # A bounded pool that makes callers wait for a connection: a thousand handlers
            # sending at once share ``max_connections`` connections instead of opening (or
            # being refused) a thousand.
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=self.max_connections,
                timeout=self.timeout,
                socket_timeout=self.timeout,
                **opts,
            )
            return (
                aioredis.Redis(connection_pool=pool),
                aioredis.Redis.from_url(self.url, **opts),  # pub/sub reads wait indefinitely
            )
        return self.url, self.url

    async def start(self, node: str, dispatch: Dispatch) -> None:
        """Start listening and heart-beating; waits up to ``timeout`` for the first subscribe
        (and carries on without it: the listener keeps trying, and logs the outage)."""
        self._node = node
        self._dispatch = dispatch
        self._client, self._sub_client = self._connect()
        self._script = self._client.register_script(_PUBLISH)
        self.subscribed = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._heartbeat())]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeout):
                await self.subscribed.wait()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._dispatch = None
        client = self._client
        if client is None:
            return
        with contextlib.suppress(*_FAULTS):
            async with asyncio.timeout(self.timeout):
                pipe = client.pipeline(transaction=False)
                pipe.delete(self._node_key(self._node))
                for member, (_user, groups) in self._local.items():
                    for group in groups:
                        pipe.hdel(self._group_key(group), member)
                await pipe.execute()
        self._local.clear()
        if isinstance(self.url, str):
            await client.aclose()
            await client.connection_pool.disconnect()
            if self._sub_client is not None:
                await self._sub_client.aclose()
        self._client = self._sub_client = None

    # -- outage bookkeeping --------------------------------------------------------------

    def _failed(self, exc: BaseException) -> None:
        if not self._outage:
            self._outage = True
            log.warning(
                "broadcast %s: Redis unreachable (%s: %s); local delivery continues, sends "
                "raise BroadcastUnavailable until it answers",
                self._node,
                type(exc).__name__,
                exc,
            )

    async def _recovered(self) -> None:
        if self._outage:
            self._outage = False
            log.warning("broadcast %s: Redis answers again; resuming from the last id", self._node)
            if self._client is not None:
                # Idle pooled connections from before a restart are dead: drop them now, so
                # the next send does not fail on one (and report a second outage).
                await self._client.connection_pool.disconnect(inuse_connections=False)

    # -- messages ------------------------------------------------------------------------

    async def publish(
        self, kind: str, target: str, data: str, is_json: bool, event: str | None, origin: str
    ) -> str | None:
        client = self._client
        if client is None:
            raise BroadcastUnavailable("the broadcast layer is not started")
        try:
            async with asyncio.timeout(self.timeout):
                # No retry here: a command whose answer was lost may have run, and a second
                # XADD would store the message twice. The caller decides (BroadcastUnavailable).
                ident = await self._publish_once(client, kind, target, data, is_json, event, origin)
        except _FAULTS as exc:
            self._failed(exc)
            raise BroadcastUnavailable(
                f"Redis did not take the message within {self.timeout:g}s "
                f"({type(exc).__name__}: {exc}); it reached this process's connections only"
            ) from exc
        await self._recovered()
        return ident

    async def _publish_once(
        self,
        client: aioredis.Redis,
        kind: str,
        target: str,
        data: str,
        is_json: bool,
        event: str | None,
        origin: str,
    ) -> str | None:
        if kind == CLOSE:
            await client.publish(self._channel, f"-\n{kind}\n{target}\n\n0\n{origin}\n{data}")
            return None
        args = [self.window, kind, target, event or "", "1" if is_json else "0", origin, data]
        return _text(await self._script(keys=[self._stream], args=[*args, self._channel]))

    async def replay(self, after: str) -> Replay:
        parse_id(after)  # an id, not a Redis range expression
        client = self._client
        if client is None:
            raise BroadcastUnavailable("the broadcast layer is not started")
        try:
            async with asyncio.timeout(self.timeout):
                entries = await client.xrange(self._stream, min=f"({after}", max="+")
                info = await client.xinfo_stream(self._stream) if entries else None
        except _FAULTS as exc:
            self._failed(exc)
            raise BroadcastUnavailable(f"no replay: Redis did not answer ({exc})") from exc
        messages = [_from_entry(ident, fields) for ident, fields in entries or ()]
        return Replay(messages, info is None or _reaches_back(info, after))

    async def _listen(self) -> None:
        """Subscribe, catch up from the stream, deliver; on any fault, back off and again."""
        backoff = 0.05
        while True:
            # subscribe confirmations and pongs are wanted: any answer proves the link is alive
            pubsub = self._sub_client.pubsub()  # type: ignore[union-attr]
            try:
                if self._seen is None:
                    await self._read_top()
                async with asyncio.timeout(self.timeout):
                    await pubsub.subscribe(self._channel)
                await self._catch_up()
                self.subscribed.set()
                await self._recovered()
                backoff = 0.05
                await self._receive(pubsub)
            except _FAULTS as exc:
                self.subscribed.clear()
                self._failed(exc)
            finally:
                with contextlib.suppress(*_FAULTS):
                    await pubsub.aclose()
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, self.backoff_max)

    async def _read_top(self) -> None:
        """Before the first subscribe: the newest id in the stream is where this process
        starts (the catch-up after subscribing covers what is published in between)."""
        async with asyncio.timeout(self.timeout):
            top = await self._client.xrevrange(self._stream, count=1)  # type: ignore[union-attr]
        self._seen = parse_id(_text(top[0][0])) if top else (0, 0)

    async def _catch_up(self) -> None:
        seen = self._seen or (0, 0)
        after = f"{seen[0]}-{seen[1]}"
        async with asyncio.timeout(self.timeout * 4):
            entries = await self._client.xrange(self._stream, min=f"({after}", max="+")  # type: ignore[union-attr]
        for ident, fields in entries or ():
            self._deliver(_from_entry(ident, fields))

    def _deliver(self, msg: Message) -> None:
        key = msg.key
        if key is not None:
            if self._seen is not None and key <= self._seen:
                return
            self._seen = key
        if self._dispatch is not None:
            self._dispatch(msg)

    async def _receive(self, pubsub: Any) -> None:
        """Deliver until the connection fails; a silent connection is pinged, and taken for
        dead when the ping is not answered within ``timeout``."""
        quiet_since = time.monotonic()
        pinged = False
        idle = max(self.presence_ttl, 1.0)
        while True:
            message = await pubsub.get_message(timeout=1.0)
            now = time.monotonic()
            if message is None:
                if now - quiet_since > idle + self.timeout and pinged:
                    raise ConnectionError("Redis did not answer a ping on the pub/sub connection")
                if now - quiet_since > idle and not pinged:
                    await pubsub.ping()
                    pinged = True
                continue
            quiet_since, pinged = now, False
            if message.get("type") == "message":
                self._deliver(_from_frame(_text(message["data"])))

    # -- presence ------------------------------------------------------------------------

    def _node_key(self, node: str) -> str:
        return f"{self._prefix}:node:{node}"

    def _group_key(self, group: str) -> str:
        return f"{self._prefix}:group:{group}"

    async def add_presence(self, member: str, user: str | None, groups: list[str]) -> None:
        entry = self._local.setdefault(member, (user, set()))
        entry[1].update(groups)
        if groups:
            await self._write_presence({member: (user, set(groups))}, ())

    async def remove_presence(self, member: str, groups: list[str]) -> None:
        entry = self._local.get(member)
        if entry is not None:
            entry[1].difference_update(groups)
            if not entry[1]:
                del self._local[member]
        if groups:
            await self._write_presence({}, [(member, group) for group in groups])

    async def _write_presence(
        self, add: dict[str, tuple[str | None, set[str]]], remove: Any
    ) -> None:
        """Presence writes never fail a join or a leave: on a fault, the heartbeat writes the
        whole local state again once Redis answers."""
        client = self._client
        if client is None:
            return
        try:
            async with asyncio.timeout(self.timeout):
                pipe = client.pipeline(transaction=False)
                for member, (user, groups) in add.items():
                    value = f"{self._node}\n{user or ''}"
                    for group in groups:
                        pipe.hset(self._group_key(group), member, value)
                for member, group in remove:
                    pipe.hdel(self._group_key(group), member)
                await pipe.execute()
        except _FAULTS as exc:
            self._failed(exc)
            self._resync = True

    async def _heartbeat(self) -> None:
        """Refresh this node's key; write all local presence again when Redis had lost it
        (a restart without persistence) or a presence write failed."""
        client = self._client
        assert client is not None
        ttl_ms = int(self.presence_ttl * 1000)
        while True:
            try:
                async with asyncio.timeout(self.timeout):
                    old = await client.set(self._node_key(self._node), "1", px=ttl_ms, get=True)
                if old is None or self._resync:
                    self._resync = False
                    await self._write_presence(dict(self._local), ())
                    await self._clean_removed()
            except _FAULTS as exc:
                self._failed(exc)
                self._resync = True
            await asyncio.sleep(self.presence_ttl / 3)

    async def _clean_removed(self) -> None:
        """After a fault, members that left meanwhile may still be listed for this node."""
        client = self._client
        assert client is not None
        async with asyncio.timeout(self.timeout):
            async for key in client.scan_iter(match=f"{self._prefix}:group:*", count=500):
                entries = await client.hgetall(key)
                stale = [
                    m
                    for m, v in entries.items()
                    if _text(v).split("\n", 1)[0] == self._node and _text(m) not in self._local
                ]
                if stale:
                    await client.hdel(key, *stale)

    async def members(self, group: str) -> list[MemberInfo]:
        client = self._client
        if client is None:
            raise BroadcastUnavailable("the broadcast layer is not started")
        key = self._group_key(group)
        try:
            async with asyncio.timeout(self.timeout):
                entries = {_text(m): _text(v) for m, v in (await client.hgetall(key)).items()}
                nodes = sorted({v.split("\n", 1)[0] for v in entries.values()})
                alive = await client.mget([self._node_key(n) for n in nodes]) if nodes else []
                live = {n for n, beat in zip(nodes, alive, strict=True) if beat is not None}
                dead = [m for m, v in entries.items() if v.split("\n", 1)[0] not in live]
                if dead:
                    await client.hdel(key, *dead)
        except _FAULTS as exc:
            self._failed(exc)
            raise BroadcastUnavailable(f"no members: Redis did not answer ({exc})") from exc
        infos = []
        for member, value in entries.items():
            node, _, user = value.partition("\n")
            if node in live:
                infos.append(MemberInfo(member, user or None, node))
        return infos
