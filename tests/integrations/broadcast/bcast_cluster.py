"""The multi-host test's machinery: hosts in network namespaces, nginx in front, real clients.

``Network`` builds a bridge with one veth per host namespace (addresses of our own,
10.<a>.<b>.0/24, from the test's pid) - or, where namespaces cannot be made, says so and
gives every host 127.0.0.1 with its own port. ``Host`` is one ``bcast_app.py --workers 2`` in
its namespace (its own process group, so SIGKILL takes the whole host). ``Client`` is one
WebSocket or SSE client through nginx that reconnects with its last id when its host dies.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from services import free_port

HERE = Path(__file__).resolve().parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


class Network:
    """Where the hosts live: namespaces on a bridge, or (fallback) 127.0.0.1 ports."""

    def __init__(self, hosts: int) -> None:
        tag = os.getpid() % 100_000
        self.hosts = hosts
        self.bridge = f"bcb{tag}"
        self.names = [f"bc{tag}h{i}" for i in range(hosts)]
        self.subnet = f"10.{100 + tag % 100}.{(tag // 100) % 250}"
        self.netns = False
        self.why_not = ""

    def setup(self) -> None:
        if os.environ.get("AIOWEB_TEST_NO_NETNS"):
            self.why_not = "AIOWEB_TEST_NO_NETNS is set"
            return
        if os.geteuid() != 0 or shutil.which("ip") is None:
            self.why_not = "not root, or no `ip` command"
            return
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.subnet}.1/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for i, ns in enumerate(self.names):
                veth, peer = f"{ns}v", f"{ns}p"
                _ip("netns", "add", ns)
                _ip("link", "add", veth, "type", "veth", "peer", "name", peer)
                _ip("link", "set", peer, "netns", ns)
                _ip("link", "set", veth, "master", self.bridge)
                _ip("link", "set", veth, "up")
                _ip("-n", ns, "addr", "add", f"{self.subnet}.{10 + i}/24", "dev", peer)
                _ip("-n", ns, "link", "set", peer, "up")
                _ip("-n", ns, "link", "set", "lo", "up")
            self.netns = True
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            stderr = getattr(exc, "stderr", "") or ""
            self.why_not = f"{' '.join(map(str, exc.cmd))}: {stderr.strip() or exc}"
            self.teardown()

    def teardown(self) -> None:
        for ns in self.names:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, timeout=10)

    @property
    def gateway(self) -> str:
        """Where nginx, Redis and the test are reached from the hosts."""
        return f"{self.subnet}.1" if self.netns else "127.0.0.1"

    def address(self, i: int) -> str:
        return f"{self.subnet}.{10 + i}" if self.netns else "127.0.0.1"

    def prefix(self, i: int) -> list[str]:
        return ["ip", "netns", "exec", self.names[i]] if self.netns else []


class Host:
    """One aioweb host: ``bcast_app.py --workers 2`` in its namespace."""

    def __init__(self, net: Network, i: int, redis_url: str, log: Path) -> None:
        self.name = f"h{i}"
        self.netns = net.names[i] if net.netns else None
        self.address = net.address(i)
        self.port = 8080 if net.netns else free_port()
        self.log = log
        cmd = [
            *net.prefix(i), sys.executable, str(HERE / "bcast_app.py"),
            "--host", self.address, "--port", str(self.port), "--workers", "2",
            "--redis", redis_url, "--name", self.name, "--presence-ttl", "2",
        ]  # fmt: skip
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        with log.open("wb") as out:
            self.popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    def pids(self) -> list[int]:
        """Every process of the host: in its namespace (``ip netns pids``), or the supervisor's
        tree (its workers run in process groups of their own)."""
        if self.netns is not None:
            out = subprocess.run(
                ["ip", "netns", "pids", self.netns], capture_output=True, text=True, timeout=10
            ).stdout
            return [int(p) for p in out.split()]
        found, todo = [], [self.popen.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                todo += map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
            except OSError:
                pass
        return found

    def kill(self) -> None:
        """The host dies: every process stopped at once, then SIGKILLed; no goodbye to anyone
        (a worker left alive would notice its supervisor's death and shut down politely)."""
        pids = self.pids()
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)  # the supervisor stops its workers
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


NGINX_CONF = """\
worker_processes 1;
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
worker_rlimit_nofile 8192;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
    upstream hosts {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://hosts;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_connect_timeout 2s;
        }}
    }}
}}
"""


def start_nginx(workdir: Path, hosts: list[Host]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    servers = "\n".join(
        f"        server {h.address}:{h.port} max_fails=1 fail_timeout=60s;" for h in hosts
    )
    conf = workdir / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=workdir, servers=servers, port=port))
    log = (workdir / "nginx.out").open("wb")
    proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(workdir)], stdout=log, stderr=log)
    return proc, port


@dataclass
class Client:
    """A WebSocket or SSE client through nginx that resumes from its last id when its host
    dies, and stops for good when the server closes it with ``final_code`` (or ends the SSE
    stream of a closed user)."""

    kind: str  # "ws" or "sse"
    user: str
    base: str
    got: list[tuple[str | None, str]] = field(default_factory=list)
    connects: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    closed_for_good: asyncio.Event = field(default_factory=asyncio.Event)
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    stop_on_end: bool = False  # set before a close_user: the next end is final

    @property
    def last_id(self) -> str | None:
        for ident, _ in reversed(self.got):
            if ident is not None:
                return ident
        return None

    async def run(self, session: aiohttp.ClientSession, max_connects: int = 40) -> None:
        while self.connects < max_connects and not self.closed_for_good.is_set():
            self.connects += 1
            try:
                if self.kind == "ws":
                    await self._ws(session)
                else:
                    await self._sse(session)
            except (TimeoutError, aiohttp.ClientError, OSError):
                pass
            self.connected.clear()
            if self.stop_on_end:
                self.closed_for_good.set()
                return
            await asyncio.sleep(0.05 + random.random() * 0.2)

    async def _ws(self, session: aiohttp.ClientSession) -> None:
        params = {"groups": "all", "user": self.user}
        if self.last_id:
            params["last"] = self.last_id
        async with session.ws_connect(self.base + "/ws", params=params, heartbeat=None) as ws:
            self.connected.set()
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    env = json.loads(msg.data)
                    self.got.append((env["id"], env["data"]))
            self.close_codes.append(ws.close_code)

    async def _sse(self, session: aiohttp.ClientSession) -> None:
        headers = {"Last-Event-ID": self.last_id} if self.last_id else {}
        params = {"groups": "all", "user": self.user}
        async with session.get(self.base + "/sse", params=params, headers=headers) as resp:
            resp.raise_for_status()
            self.connected.set()
            ident: str | None = None
            data: list[str] = []
            async for raw in resp.content:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if data:
                        self.got.append((ident, "\n".join(data)))
                    ident, data = None, []
                elif line.startswith("id: "):
                    ident = line[4:]
                elif line.startswith("data: "):
                    data.append(line[6:])
            self.close_codes.append(None)
