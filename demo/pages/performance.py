"""Live performance: this server's requests per second, open connections, memory and
event-loop lag, streamed once a second over Server-Sent Events and drawn as live charts.

What it costs: counting requests is one middleware of this demo application (an integer
increment); everything else — reading the kernel's connection table and this process's
resident memory, and timing the event loop — runs in one sampler task that exists only
while at least one browser watches the page.  Put load on the server and watch:

    wrk -t2 -c50 -d20s http://127.0.0.1:8080/basics/hello/world
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from aioweb import web
from aioweb.sse import sse_response
from demo import layout

TITLE = "Live performance: requests/s, connections, memory, event-loop lag"
LABEL = "Performance"
SUMMARY = (
    "This server's own requests per second, open connections, memory and event-loop lag, "
    "live: put load on it with wrk and watch the charts move."
)
PATH = "/performance/"

INTERVAL = 1.0  # seconds between samples sent to the browser
TICK = 0.05  # the event-loop probe: how late does a 50 ms sleep wake up?
_ESTABLISHED = "01"  # connection state in /proc/net/tcp


@dataclass
class Meter:
    """The counters, and the sampler that runs while anyone watches."""

    requests: int = 0
    port: int = 0
    watchers: list[asyncio.Queue[dict[str, Any]]] = field(default_factory=list)
    sampler: asyncio.Task[None] | None = None
    streams: set[Any] = field(default_factory=set)


METER: web.AppKey[Meter] = web.AppKey("performance_meter", Meter)


def open_connections(port: int) -> int | None:
    """Established TCP connections whose local end is ``port``, from the kernel's table.

    Read from /proc (Linux), so the server's hot path counts nothing; with ``--workers N``
    it counts every worker's connections on the shared port.  ``None`` elsewhere.
    """
    count = 0
    found = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f, None)
                for line in f:
                    fields = line.split(None, 4)
                    if fields[3] == _ESTABLISHED and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        count += 1
            found = True
        except (OSError, IndexError, ValueError):
            continue
    return count if found else None


def resident_memory() -> int | None:
    """This process's resident set size in bytes (/proc/self/statm), else its peak."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    except (ImportError, OSError):
        return None


async def sample(meter: Meter) -> None:
    """Once per INTERVAL: a sample to every watcher.  Lag is the worst delay of a TICK sleep."""
    loop = asyncio.get_running_loop()
    last_time, last_requests = loop.time(), meter.requests
    worst_lag = 0.0
    while True:
        due = loop.time() + TICK
        await asyncio.sleep(TICK)
        worst_lag = max(worst_lag, loop.time() - due)
        now = loop.time()
        if now - last_time < INTERVAL:
            continue
        requests = meter.requests
        snapshot = {
            "time": time.time(),
            "rps": round((requests - last_requests) / (now - last_time), 1),
            "requests": requests,
            "connections": open_connections(meter.port),
            "rss": resident_memory(),
            "lag_ms": round(worst_lag * 1000, 2),
        }
        last_time, last_requests, worst_lag = now, requests, 0.0
        for queue in meter.watchers:
            if queue.qsize() < 5:  # a watcher that does not keep up misses samples
                queue.put_nowait(snapshot)


async def stream(request: web.Request) -> web.StreamResponse:
    meter = request.config_dict[METER]
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sockname = request.get_extra_info("sockname")
    if isinstance(sockname, tuple) and not meter.port:
        meter.port = int(sockname[1])
    async with sse_response(request) as resp:
        meter.streams.add(resp)
        meter.watchers.append(queue)
        if meter.sampler is None:
            meter.sampler = asyncio.get_running_loop().create_task(sample(meter))
        try:
            while resp.is_connected():
                getter = asyncio.ensure_future(queue.get())
                stopped = asyncio.ensure_future(resp.wait())
                done, _ = await asyncio.wait({getter, stopped}, return_when=asyncio.FIRST_COMPLETED)
                for task in (getter, stopped):
                    if task not in done:
                        task.cancel()
                if getter in done:
                    await resp.send(json.dumps(getter.result()), event="sample")
        finally:
            meter.streams.discard(resp)
            meter.watchers.remove(queue)
            if not meter.watchers and meter.sampler is not None:
                meter.sampler.cancel()
                meter.sampler = None
    return resp


BODY = """<div class="metrics">
  <section class="metric"><h2>Requests per second</h2>
    <div class="value" id="rps">&ndash;</div><canvas id="chart-rps"></canvas></section>
  <section class="metric"><h2>Open connections</h2>
    <div class="value" id="connections">&ndash;</div><canvas id="chart-connections"></canvas></section>
  <section class="metric"><h2>Memory (RSS, MiB)</h2>
    <div class="value" id="rss">&ndash;</div><canvas id="chart-rss"></canvas></section>
  <section class="metric"><h2>Event-loop lag (ms, worst per second)</h2>
    <div class="value" id="lag_ms">&ndash;</div><canvas id="chart-lag_ms"></canvas></section>
</div>
<p id="perf-status" class="muted">connecting…</p>
<h2>Put load on it</h2>
<pre><code>wrk -t2 -c50 -d20s {origin}/basics/hello/world</code></pre>
<p>The figures are this server process's own: requests counted by a middleware of this demo
application (<code>{requests}</code> so far), established connections on port
<code>{port}</code> read from the kernel's table, resident memory from
<code>/proc/self/statm</code>, and how late a 50&nbsp;ms sleep wakes up. They are sampled only
while someone watches this page; the charts are drawn by
<a href="/static/livechart.js">a small script</a> with no dependencies.</p>
"""


async def page(request: web.Request) -> web.Response:
    sockname = request.get_extra_info("sockname")
    port = sockname[1] if isinstance(sockname, tuple) else "?"
    body = BODY.format(
        origin=layout.server_origin(request),
        requests=request.config_dict[METER].requests,
        port=port,
    )
    return layout.page(
        request,
        "Live performance",
        body,
        lead="This server's own figures, once a second over Server-Sent Events.",
        scripts=["/static/livechart.js", "/static/performance.js"],
    )


async def stop_sampler(app: web.Application) -> None:
    """``on_shutdown``: end the streams (Ctrl-C need not wait for watchers) and the sampler."""
    meter = app[METER]
    for resp in list(meter.streams):
        resp.stop_streaming()
    if meter.sampler is not None:
        meter.sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await meter.sampler
        meter.sampler = None


def setup(app: web.Application) -> None:
    layout.install(app)
    meter = Meter()
    app[METER] = meter

    @web.middleware
    async def count_requests(request: web.Request, handler: Any) -> web.StreamResponse:
        meter.requests += 1
        return await handler(request)

    app.middlewares.insert(0, count_requests)
    app.on_shutdown.append(stop_sampler)
    app.router.add_get(PATH, page)
    app.router.add_get(PATH + "stream", stream)
