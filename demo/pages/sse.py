"""Server-Sent Events: a live clock and a resumable progress feed."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from aioweb import web
from aioweb.sse import sse_response
from demo import layout

TITLE = "Server-Sent Events: live clock and progress"
LABEL = "SSE"
SUMMARY = (
    "Server-Sent Events: a clock pushed once a second, and a progress feed that resumes "
    "from Last-Event-ID after a reconnect."
)
PATH = "/sse/"

BODY = """<div class="box">
<p>The clock is pushed by the server once a second over <code>EventSource</code>.</p>
<div id="clock">--:--:--</div>
</div>
<h2>Progress</h2>
<div class="box">
<p>A job reporting progress; if the connection drops, the browser reconnects with
<code>Last-Event-ID</code> and the stream resumes where it stopped.</p>
<progress id="bar" max="100" value="0"></progress> <span id="pct">0%</span>
<p id="status">running</p>
</div>"""


async def page(request: web.Request) -> web.Response:
    return layout.page(
        request,
        "Server-Sent Events",
        BODY,
        lead="One-way streams from server to browser: sse_response(), as aiohttp-sse's.",
        scripts=["/static/sse.js"],
    )


streams_key: web.AppKey[set[web.StreamResponse]] = web.AppKey("sse_streams", set)


async def pause(resp: Any, seconds: float) -> None:
    """Sleep, but wake as soon as the client leaves or the server stops the stream."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(resp.wait(), seconds)


async def clock(request: web.Request) -> web.StreamResponse:
    streams = request.app[streams_key]
    async with sse_response(request, ping_interval=10) as resp:
        streams.add(resp)
        try:
            while resp.is_connected():
                await resp.send(time.strftime("%H:%M:%S"), event="tick", retry=2000)
                await pause(resp, 1)
        finally:
            streams.discard(resp)
    return resp


async def progress(request: web.Request) -> web.StreamResponse:
    step = float(request.query.get("step", "0.1"))
    step = min(max(step, 0.0), 1.0)
    streams = request.app[streams_key]
    async with sse_response(request) as resp:
        streams.add(resp)
        try:
            last = resp.last_event_id or ""
            start = int(last) + 1 if last.isdigit() else 0
            for pct in range(min(start, 100), 101):
                await resp.send(str(pct), id=pct, event="progress")
                await pause(resp, step)
                if not resp.is_connected():
                    return resp
            await resp.send("finished", event="done")
        finally:
            streams.discard(resp)
    return resp


async def stop_streams(app: web.Application) -> None:
    """``on_shutdown``: end every open stream, so a Ctrl-C stops the demo at once instead of
    waiting ``shutdown_timeout`` for clients that would never leave by themselves."""
    for resp in list(app[streams_key]):
        resp.stop_streaming()  # type: ignore[attr-defined]


def setup(app: web.Application) -> None:
    layout.install(app)
    app[streams_key] = set()
    app.on_shutdown.append(stop_streams)
    app.router.add_get(PATH, page)
    app.router.add_get(PATH + "clock", clock)
    app.router.add_get(PATH + "progress", progress)
