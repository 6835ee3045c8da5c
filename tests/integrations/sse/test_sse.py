"""aioweb.sse: event formatting, and streams on a real server read by aiohttp's and httpx's
clients and by headless Chromium's EventSource."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb import web
from aioweb.integrations.sse import EventSourceResponse, format_event, sse_response

ROOT = Path(__file__).resolve().parents[3]

# -- formatting ------------------------------------------------------------------------------


def test_format_full_event() -> None:
    assert format_event("hi", id=7, event="greet", retry=1500) == (
        "id: 7\r\nevent: greet\r\ndata: hi\r\nretry: 1500\r\n\r\n"
    )


@pytest.mark.parametrize("data", ["a\nb\nc", "a\r\nb\r\nc", "a\rb\rc", "a\r\nb\nc"])
def test_multiline_data_becomes_several_data_lines(data: str) -> None:
    assert format_event(data, sep="\n") == "data: a\ndata: b\ndata: c\n\n"


def test_empty_and_trailing_newline_data() -> None:
    assert format_event("") == "data: \r\n\r\n"
    assert format_event("x\n", sep="\n") == "data: x\ndata: \n\n"


@pytest.mark.parametrize("field", ["id", "event"])
@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\r\nevent: evil"])
def test_line_breaks_in_single_line_fields_are_refused(field: str, bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        format_event("x", **{field: bad})


@pytest.mark.parametrize("retry", [-1, 1.5, "10", True])
def test_bad_retry_refused(retry: Any) -> None:
    with pytest.raises(ValueError):
        format_event("x", retry=retry)


def test_nul_in_id_and_bad_separator_and_empty_event() -> None:
    with pytest.raises(ValueError, match="NUL"):
        format_event("x", id="a\0b")
    with pytest.raises(ValueError):
        format_event("x", sep="\t")
    with pytest.raises(ValueError):
        format_event()
    with pytest.raises(TypeError):
        format_event(b"bytes")  # type: ignore[arg-type]


def test_comment_only_is_a_keepalive() -> None:
    assert format_event(comment="ping") == ": ping\r\n\r\n"
    assert format_event(comment="two\nlines", sep="\n") == ": two\n: lines\n\n"


def test_ping_interval_validation() -> None:
    for bad in (0, -1):
        with pytest.raises(ValueError):
            EventSourceResponse(ping_interval=bad)
    with pytest.raises(TypeError):
        EventSourceResponse(ping_interval="1")  # type: ignore[arg-type]


# -- a tiny event-stream parser for the client side --------------------------------------


def parse_stream(text: str) -> list[dict[str, str]]:
    """Parse per the WHATWG rules (only what these tests need): blocks split by blank lines."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data" and "data" in event:
                event["data"] += "\n" + value
            else:
                event[name] = value
        events.append(event)
    return events


# -- on a real server ------------------------------------------------------------------------


async def test_events_headers_and_last_event_id(aioweb_server) -> None:
    async def handler(request):
        async with sse_response(request) as resp:
            await resp.send("first", id=1, event="a")
            await resp.send("multi\nline", id=2)
            await resp.send_json({"k": [1, 2]}, event="json")
            await resp.send(f"resume after {resp.last_event_id}")
        return resp

    app = web.Application()
    app.router.add_get("/events", handler)
    server = await aioweb_server(app)
    async with (
        aiohttp.ClientSession() as client,
        client.get(server.make_url("/events"), headers={"Last-Event-ID": "41"}) as resp,
    ):
        assert resp.status == 200
        # exactly aiohttp-sse's header: the event stream is UTF-8 by definition (WHATWG)
        assert resp.headers["Content-Type"] == "text/event-stream"
        assert resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers["X-Accel-Buffering"] == "no"
        body = (await resp.read()).decode()
    assert parse_stream(body) == [
        {"id": "1", "event": "a", "data": "first"},
        {"id": "2", "data": "multi\nline"},
        {"event": "json", "data": '{"k": [1, 2]}'},
        {"data": "resume after 41"},
    ]


async def test_headers_arrive_before_the_first_event(aioweb_server) -> None:
    release = asyncio.Event()

    async def handler(request):
        async with sse_response(request) as resp:
            await release.wait()
            await resp.send("late")
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    url = str(server.make_url("/"))
    async with httpx.AsyncClient() as client, client.stream("GET", url, timeout=5) as resp:
        # The response head came while the handler is still waiting.
        assert resp.status_code == 200
        release.set()
        body = b"".join([chunk async for chunk in resp.aiter_bytes()])
    assert parse_stream(body.decode()) == [{"data": "late"}]


async def test_keepalive_comments_are_sent(aioweb_server) -> None:
    async def handler(request):
        async with sse_response(request, ping_interval=0.2) as resp:
            await asyncio.sleep(0.7)
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:
        resp = await client.get(str(server.make_url("/")), timeout=5)
    assert resp.text.count(": ping\r\n\r\n") >= 2
    assert parse_stream(resp.text) == [{"": "ping"}] * resp.text.count("ping")


async def test_client_disconnect_is_detected_while_waiting(aioweb_server) -> None:
    seen: dict[str, Any] = {}
    done = asyncio.Event()

    async def handler(request):
        resp = EventSourceResponse(ping_interval=30)  # the ping is not what detects it
        await resp.prepare(request)
        await resp.send("hello")
        seen["connected_before"] = resp.is_connected()
        await resp.wait()  # returns when the client goes away
        seen["gone_at"] = time.monotonic()
        seen["connected_after"] = resp.is_connected()
        try:
            await resp.send("into the void")
        except ConnectionResetError:
            seen["send_raised"] = True
        done.set()
        return resp

    async def ok(request):
        return web.Response(text="still serving")

    app = web.Application()
    app.router.add_get("/", handler)
    app.router.add_get("/ok", ok)
    # the server's default; a test server, as aiohttp's, cancels handlers of gone clients
    server = await aioweb_server(app, handler_cancellation=False)
    async with aiohttp.ClientSession() as client:
        resp = await client.get(server.make_url("/"))
        assert (await resp.content.readuntil(b"\r\n\r\n")) == b"data: hello\r\n\r\n"
        resp.close()  # drop the connection
        closed_at = time.monotonic()
        await asyncio.wait_for(done.wait(), 5)
        assert seen["gone_at"] - closed_at < 1.5
        assert seen == {
            **seen,
            "connected_before": True,
            "connected_after": False,
            "send_raised": True,
        }
        async with client.get(server.make_url("/ok")) as again:
            assert await again.text() == "still serving"


async def test_sse_response_loop_ends_quietly_on_disconnect(aioweb_server) -> None:
    finished = asyncio.Event()
    sent: list[int] = []

    async def handler(request):
        async with sse_response(request) as resp:
            for i in range(10_000):
                await resp.send(str(i))
                sent.append(i)
                await asyncio.sleep(0.01)
        finished.set()
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    # the server's default; a test server, as aiohttp's, cancels handlers of gone clients
    server = await aioweb_server(app, handler_cancellation=False)
    async with aiohttp.ClientSession() as client:
        resp = await client.get(server.make_url("/"))
        await resp.content.readuntil(b"data: 3\r\n\r\n")
        resp.close()
        await asyncio.wait_for(finished.wait(), 5)  # no exception escaped the handler
    assert 3 <= len(sent) < 10_000


async def test_stop_streaming_ends_the_response(aioweb_server) -> None:
    async def handler(request):
        resp = EventSourceResponse()
        await resp.prepare(request)
        await resp.send("only")
        resp.stop_streaming()
        await resp.wait()
        assert not resp.is_connected()  # the ping task is over; as in aiohttp-sse,
        await resp.write_eof()  # writing is the handler's business until write_eof
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:
        resp = await client.get(str(server.make_url("/")), timeout=5)
    assert parse_stream(resp.text) == [{"data": "only"}]


async def test_send_before_prepare_is_an_error() -> None:
    resp = EventSourceResponse()
    with pytest.raises(RuntimeError):
        await resp.send("x")
    with pytest.raises(RuntimeError):
        await resp.wait()


# -- Chromium's EventSource against the demo page -------------------------------------------


def load_demo_page() -> Any:
    spec = importlib.util.spec_from_file_location("demo_sse", ROOT / "demo" / "pages" / "sse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(90)
def test_chromium_eventsource_on_demo_page() -> None:
    browser = pytest.importorskip("chromium_devtools")
    if browser.CHROMIUM is None:
        pytest.skip("chromium is not installed")
    page = load_demo_page()

    async def main() -> None:
        app = web.Application()
        page.setup(app)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        runner = web.AppRunner(app)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
                url = f"http://127.0.0.1:{port}{page.PATH}?step=0.02"
                async with browser.chromium(url, profile) as tab:
                    first = await tab.wait_for(
                        "/\\d\\d:\\d\\d:\\d\\d/.test(document.getElementById('clock').textContent)"
                        " && document.getElementById('clock').textContent"
                    )
                    # The clock ticks: a later value differs from the first one.
                    later = await tab.wait_for(
                        f"document.getElementById('clock').textContent !== {first!r}"
                        " && document.getElementById('clock').textContent"
                    )
                    assert later != first
                    status = await tab.wait_for(
                        "document.getElementById('status').textContent === 'finished'"
                        " && document.getElementById('bar').value",
                        timeout=30,
                    )
                    assert status == 100
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 80))


async def test_only_get_unless_allowed(aioweb_server) -> None:
    async def strict(request):
        async with sse_response(request) as resp:
            await resp.send("x")
        return resp

    async def lenient(request):
        async with sse_response(request, allow_all_methods=True) as resp:
            await resp.send("posted")
        return resp

    app = web.Application()
    app.router.add_route("*", "/strict", strict)
    app.router.add_route("*", "/lenient", lenient)
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:
        resp = await client.post(str(server.make_url("/strict")))
        assert resp.status_code == 405 and resp.headers["allow"] == "GET"
        resp = await client.post(str(server.make_url("/lenient")))
        assert parse_stream(resp.text) == [{"data": "posted"}]


async def test_stalled_reader_is_cut_off_after_send_timeout(aioweb_server) -> None:
    """A client that never reads must not pin the handler (and its buffers) forever."""
    outcome: dict[str, Any] = {}
    done = asyncio.Event()
    chunk = "y" * 65536

    async def handler(request):
        resp = EventSourceResponse(send_timeout=0.5)
        await resp.prepare(request)
        start = time.monotonic()
        try:
            for i in range(2000):  # bounded: at most ~128 MiB offered, far past any buffer
                await resp.send(chunk, id=i)
        except TimeoutError:  # aiohttp-sse 3.0: TimeoutError, and the connection aborted
            outcome["cut_after"] = time.monotonic() - start
        done.set()
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # ... and never read the answer
    await writer.drain()
    await asyncio.wait_for(done.wait(), 20)
    writer.close()
    assert "cut_after" in outcome


def test_compression_refused_and_response_cls_checked() -> None:
    with pytest.raises(NotImplementedError):
        EventSourceResponse().enable_compression()
    with pytest.raises(ValueError):
        EventSourceResponse(send_timeout=0)


async def test_response_cls_must_be_an_event_source(aioweb_server) -> None:
    async def handler(request):
        with pytest.raises(TypeError):
            async with sse_response(request, response_cls=web.StreamResponse):  # type: ignore[arg-type]
                pass
        return web.Response(text="checked")

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:
        assert (await client.get(str(server.make_url("/")))).text == "checked"


AIOHTTP_SSE_STYLE = """
import asyncio
from datetime import datetime
from aioweb import web
from aioweb.integrations.sse import sse_response

async def hello(request):
    async with sse_response(request) as resp:
        i = 0
        while resp.is_connected() and i < 3:
            time_dict = {"data": str(datetime.now()), "id": str(i)}
            await resp.send(**time_dict, event="time")
            i += 1
            await asyncio.sleep(0.01)
    return resp

app = web.Application()
app.router.add_route("GET", "/hello", hello)
"""


async def test_aiohttp_sse_style_code_runs_with_the_import_changed(aioweb_server) -> None:
    namespace: dict[str, Any] = {}
    exec(AIOHTTP_SSE_STYLE, namespace)
    server = await aioweb_server(namespace["app"])
    async with httpx.AsyncClient() as client:
        resp = await client.get(str(server.make_url("/hello")), timeout=5)
    events = parse_stream(resp.text)
    assert [e["id"] for e in events] == ["0", "1", "2"]
    assert {e["event"] for e in events} == {"time"}


@given(data=st.text(), event=st.text().filter(lambda s: not re.search(r"[\r\n]", s)))
def test_any_text_roundtrips_through_the_event_format(data: str, event: str) -> None:
    """Whatever the payload, a conforming parser gets it back (line breaks become \\n)."""
    parsed = parse_stream(format_event(data, event=event or None))
    assert len(parsed) == 1
    assert parsed[0]["data"] == re.sub(r"\r\n|\r", "\n", data)
    if event:
        assert parsed[0]["event"] == event


def test_reexported_from_the_web_namespace() -> None:
    assert web.EventSourceResponse is EventSourceResponse
    assert web.sse_response is sse_response


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_curl_reads_the_stream(aioweb_server) -> None:
    async def handler(request):
        async with sse_response(request) as resp:
            for i in range(3):
                await resp.send(f"line {i}\nsecond", id=i, event="n")
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sN", "--max-time", "10", "-H", "Accept: text/event-stream",
        str(server.make_url("/")), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    events = parse_stream(out.decode())
    assert [(e["id"], e["event"], e["data"]) for e in events] == [
        (str(i), "n", f"line {i}\nsecond") for i in range(3)
    ]


async def test_protocol_close_callbacks(aioweb_server, caplog: pytest.LogCaptureFixture) -> None:
    """The server hook SSE relies on: callbacks run once on disconnect, late ones at once,
    and a faulty one is logged without disturbing the others."""
    calls: list[str] = []
    registered = asyncio.Event()
    protocols: list[Any] = []

    async def handler(request):
        protocol = request.protocol
        protocols.append(protocol)

        def broken() -> None:
            raise RuntimeError("faulty callback")

        protocol.add_close_callback(lambda: calls.append("first"))
        protocol.add_close_callback(broken)
        protocol.add_close_callback(lambda: calls.append("third"))
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"x")
        gone = asyncio.Event()
        protocol.add_close_callback(gone.set)
        registered.set()
        await asyncio.wait_for(gone.wait(), 5)  # until the client leaves
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.wait_for(registered.wait(), 5)
    writer.close()
    for _ in range(100):
        if calls:
            break
        await asyncio.sleep(0.01)
    assert calls == ["first", "third"]
    assert "faulty callback" in caplog.text
    protocols[0].add_close_callback(lambda: calls.append("late"))  # already closed: runs now
    assert calls == ["first", "third", "late"]
    del reader


async def test_finished_streams_leave_no_callbacks_on_a_kept_alive_connection(
    aioweb_server,
) -> None:
    pending: list[int] = []

    async def handler(request):
        pending.append(len(request.protocol._close_callbacks or ()))
        async with sse_response(request) as resp:
            await resp.send("one")
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    async with httpx.AsyncClient() as client:  # one pooled keep-alive connection
        for _ in range(5):
            resp = await client.get(str(server.make_url("/")))
            assert parse_stream(resp.text) == [{"data": "one"}]
    assert pending == [0, 0, 0, 0, 0]
