"""Three aioweb hosts (``workers=2`` each) in their own network namespaces, nginx in front
(round robin, WebSocket upgrade), one redis-server: the broadcast layer across machines.

The scenario, with 300 WebSocket and 100 SSE clients through nginx:

1. broadcasts sent on every host reach every client, once each, in id order;
2. the FAQ's "close this user's sockets", asked of one host, closes them on every host;
3. one host is SIGKILLed while messages stream in: its clients reconnect through nginx with
   their last id (``?last=`` / ``Last-Event-ID``) and, counted over every client, 0 messages
   are lost and 0 duplicated; the dead host's members leave presence within its TTL.

Where network namespaces cannot be made, the test says so (a warning, and in its printed
summary) and runs the same scenario with every host on its own 127.0.0.1 port.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import httpx
import pytest
from bcast_cluster import NGINX, Client, Host, Network, start_nginx
from bcast_redis import RedisProcess

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.skipif(  # the suite's policy for system tools (tests/functional/test_nginx.py)
        shutil.which("nginx") is None and not Path(NGINX).exists(),
        reason="nginx not installed (scripts/install-system-deps.sh)",
    ),
]

N_WS, N_SSE, N_HOSTS = 300, 100, 3
VICTIM_WS, VICTIM_SSE = 6, 2  # the user whose connections are closed from one host
STREAM_SECONDS, STREAM_RATE = 4.0, 50  # messages per second during the kill


@pytest.fixture
def network() -> Iterator[Network]:
    net = Network(N_HOSTS)
    net.setup()
    if not net.netns:
        warnings.warn(
            f"network namespaces unavailable ({net.why_not}): the multi-host scenario runs "
            "with every host on its own 127.0.0.1 port instead",
            stacklevel=1,
        )
    try:
        yield net
    finally:
        net.teardown()


def _wait_http(url: str, host: Host, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.popen.poll() is not None:
            raise AssertionError(f"{host.name} exited:\n{host.log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer:\n{host.log.read_text()[-3000:]}")


async def _post(session: aiohttp.ClientSession, url: str, data: str = "") -> dict[str, object]:
    async with session.post(url, data=data) as resp:
        assert resp.status == 200, await resp.text()
        body: dict[str, object] = await resp.json()
        return body


async def _until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {what}"
        await asyncio.sleep(0.05)


def _key(ident: str) -> tuple[int, int]:
    ms, seq = ident.split("-")
    return int(ms), int(seq)


async def test_three_hosts_behind_nginx(network: Network, tmp_path: Path) -> None:
    started = time.monotonic()
    redis = RedisProcess(tmp_path, host=network.gateway)
    hosts: list[Host] = []
    nginx = None
    try:
        redis.start()
        hosts = [Host(network, i, redis.url, tmp_path / f"h{i}.log") for i in range(N_HOSTS)]
        for host in hosts:
            _wait_http(host.url + "/whoami", host)
        nginx, port = start_nginx(tmp_path, hosts)
        base = f"http://127.0.0.1:{port}"
        _wait_http(base + "/whoami", hosts[0])
        summary = await asyncio.wait_for(_scenario(hosts, base), 100)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for host in hosts:
            host.stop()
        redis.stop()
    summary["mode"] = "network namespaces" if network.netns else f"127.0.0.1 ({network.why_not})"
    summary["runtime_s"] = round(time.monotonic() - started, 1)
    print(f"\nmulti-host broadcast: {summary}")


async def _scenario(hosts: list[Host], base: str) -> dict[str, object]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=5)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        clients = [
            Client("ws", "victim" if i < VICTIM_WS else f"w{i}", base) for i in range(N_WS)
        ] + [Client("sse", "victim" if i < VICTIM_SSE else f"s{i}", base) for i in range(N_SSE)]
        tasks = []
        for c in clients:  # one at a time, so round robin spreads them evenly
            tasks.append(asyncio.ensure_future(c.run(session)))
            await asyncio.wait_for(c.connected.wait(), 10)
        members = await _members(session, hosts[0], N_WS + N_SSE)
        per_host = {
            h.name: sum(1 for _, _, n in members if n.startswith(h.name + ".")) for h in hosts
        }
        workers = {n for _, _, n in members}
        assert all(count > 50 for count in per_host.values()), per_host
        assert len(workers) >= N_HOSTS + 1, workers  # more than one worker per host serves

        # 1. broadcasts from every host reach every client
        sent: list[str] = []
        for k in range(5):
            for h in hosts:
                reply = await _post(session, f"{h.url}/send?group=all", f"{h.name}-{k}")
                sent.append(str(reply["id"]))
        await _until(lambda: all(len(c.got) >= len(sent) for c in clients), 20, "phase 1")
        for c in clients:
            assert [i for i, _ in c.got] == sent, c
        phase1 = len(sent) * len(clients)

        # 2. close this user's connections, asked of one host: closed on every host
        victims = [c for c in clients if c.user == "victim"]
        victim_hosts = {n.split(".")[0] for _, u, n in members if u == "victim"}
        assert len(victim_hosts) >= 2, victim_hosts
        for c in victims:
            c.stop_on_end = True
        await _post(session, f"{hosts[0].url}/close_user?user=victim&code=4001")
        await _until(lambda: all(c.closed_for_good.is_set() for c in victims), 10, "close_user")
        assert all(c.close_codes[-1] == 4001 for c in victims if c.kind == "ws")
        others = [c for c in clients if c.user != "victim"]
        assert all(c.connected.is_set() for c in others)

        # 3. one host SIGKILLed mid-stream; its clients resume through nginx
        doomed, alive = hosts[-1], hosts[:-1]
        on_doomed = {u for _, u, n in members if n.startswith(doomed.name + ".")}
        streamed: list[str] = []

        async def publish() -> None:
            n = 0
            t_end = time.monotonic() + STREAM_SECONDS
            while time.monotonic() < t_end:
                h = alive[n % len(alive)]
                reply = await _post(session, f"{h.url}/send?group=all", f"s{n}")
                streamed.append(str(reply["id"]))
                n += 1
                await asyncio.sleep(1 / STREAM_RATE)

        pub = asyncio.ensure_future(publish())
        await asyncio.sleep(STREAM_SECONDS / 3)
        killed_at = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(None, doomed.kill)
        await pub
        await _until(
            lambda: all(len(c.got) >= len(sent) + len(streamed) for c in others), 30, "resume"
        )
        await asyncio.sleep(0.5)  # anything extra (a duplicate) would arrive by now
        lost = dup = disorder = 0
        expected = set(sent + streamed)
        for c in others:
            ids = [i for i, _ in c.got]
            lost += len(expected - set(ids))
            dup += len(ids) - len(set(ids))
            disorder += sum(1 for a, b in itertools.pairwise(ids) if _key(a) >= _key(b))
        moved = [c for c in others if c.user in on_doomed]
        stayed = [(c.kind, c.user, c.connects, c.close_codes) for c in moved if c.connects < 2]
        assert moved and not stayed, (len(moved), stayed[:5], len(stayed))
        assert lost == 0 and dup == 0 and disorder == 0, (lost, dup, disorder)

        # the dead host's members leave presence within its TTL (2 s) plus a heartbeat
        gone_after = None
        while gone_after is None:
            found = await _members(session, alive[0], None)
            if not any(n.startswith(doomed.name + ".") for _, _, n in found):
                gone_after = time.monotonic() - killed_at
            else:
                assert time.monotonic() - killed_at < 6, "dead host still in presence"
                await asyncio.sleep(0.2)
        reconnected = len(moved)
        for c in clients:
            c.closed_for_good.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return {
            "clients": {"ws": N_WS, "sse": N_SSE},
            "per_host": per_host,
            "worker_processes": len(workers),
            "phase1_deliveries": phase1,
            "closed_victims": len(victims),
            "victim_hosts": len(victim_hosts),
            "streamed_messages": len(streamed),
            "stream_deliveries_checked": len(streamed) * len(others),
            "reconnected_clients": reconnected,
            "lost": lost,
            "duplicated": dup,
            "out_of_order": disorder,
            "dead_host_left_presence_s": round(gone_after, 2),
        }


async def _members(
    session: aiohttp.ClientSession, host: Host, want: int | None
) -> list[tuple[str, str, str]]:
    """The members of "all" as seen from ``host`` (waiting until ``want`` are listed)."""
    deadline = time.monotonic() + 10
    while True:
        async with session.get(f"{host.url}/members?group=all") as resp:
            found = [tuple(m) for m in await resp.json()]
        if want is None or len(found) >= want or time.monotonic() > deadline:
            return found  # type: ignore[return-value]
        await asyncio.sleep(0.1)
