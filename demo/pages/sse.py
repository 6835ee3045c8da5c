"""Server-Sent Events: a live clock and a resumable progress feed."""

from __future__ import annotations

import asyncio
import time

from aioweb import web
from aioweb.sse import sse_response

TITLE = "Server-Sent Events: live clock and progress"
PATH = "/sse/"

PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<title>Server-Sent Events · aioweb demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
#clock{font:700 3rem monospace} progress{width:100%}</style></head><body>
<p><a href="/">demo index</a></p><h1>Server-Sent Events</h1>
<p>The clock is pushed by the server once a second over <code>EventSource</code>.</p>
<div id="clock">--:--:--</div>
<h2>Progress</h2>
<p>A job reporting progress; if the connection drops, the browser reconnects with
<code>Last-Event-ID</code> and the stream resumes where it stopped.</p>
<progress id="bar" max="100" value="0"></progress> <span id="pct">0%</span>
<p id="status">running</p>
<script>
const clock = new EventSource("clock");
clock.addEventListener("tick", e => { document.getElementById("clock").textContent = e.data; });
const job = new EventSource("progress" + location.search);
job.addEventListener("progress", e => {
  document.getElementById("bar").value = e.data;
  document.getElementById("pct").textContent = e.data + "%";
});
job.addEventListener("done", e => {
  document.getElementById("status").textContent = e.data; job.close();
});
</script></body></html>"""


async def page(request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


async def clock(request: web.Request) -> web.StreamResponse:
    async with sse_response(request, ping_interval=10) as resp:
        while resp.is_connected():
            await resp.send(time.strftime("%H:%M:%S"), event="tick", retry=2000)
            await asyncio.sleep(1)
    return resp


async def progress(request: web.Request) -> web.StreamResponse:
    step = float(request.query.get("step", "0.1"))
    step = min(max(step, 0.0), 1.0)
    async with sse_response(request) as resp:
        start = int(resp.last_event_id or 0) + 1 if (resp.last_event_id or "").isdigit() else 0
        for pct in range(min(start, 100), 101):
            await resp.send(str(pct), id=pct, event="progress")
            await asyncio.sleep(step)
        await resp.send("finished", event="done")
    return resp


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, page)
    app.router.add_get(PATH + "clock", clock)
    app.router.add_get(PATH + "progress", progress)
