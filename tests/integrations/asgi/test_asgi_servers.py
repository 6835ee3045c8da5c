"""``aioweb.asgi.to_asgi``: an aioweb application under uvicorn, hypercorn and granian.

Each server runs in a subprocess on 127.0.0.1 (a free port) serving ``asgi_apps:asgi_app``;
real clients (httpx, the websockets library, raw sockets, curl) check what the adapter
must carry: responses of every kind, request bodies with back-pressure and
``Expect: 100-continue``, WebSockets, SSE, lifespan, and handler cancellation.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from asgi_apps import BIG
from asgi_servers import KINDS, server_process, stop_output

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module", params=KINDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, Path]]:
    """``(kind, base_url, events_file)`` for one server serving the test application."""
    events = tmp_path_factory.mktemp("events") / "events.txt"
    with server_process(request.param, env={"ASGI_EVENTS": str(events)}) as (base, _proc):
        yield request.param, base, events


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def test_plain_and_json(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served
    r = httpx.get(base + "/")
    assert (r.status_code, r.text) == (200, "hello")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    info = httpx.get(base + "/info?a=1&b=%20x").json()
    assert info["remote"] == "127.0.0.1"
    assert info["scheme"] == "http" and info["secure"] is False
    assert info["host"] == f"127.0.0.1:{port_of(base)}"
    assert info["query"] == {"a": "1", "b": " x"}
    assert info["version"] == [1, 1]
    assert info["state"] == "ready"  # set by a cleanup_ctx: lifespan startup ran
    assert info["peername"][0] == "127.0.0.1"


def test_streamed_response(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served
    with httpx.stream("GET", base + "/stream?n=50") as r:
        body = b"".join(r.iter_raw())
    assert body == b"".join(b"part %d\n" % i for i in range(50))


def test_file_response_whole_range_and_conditional(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served
    r = httpx.get(base + "/big")
    assert hashlib.sha256(r.content).digest() == hashlib.sha256(BIG).digest()
    r = httpx.get(base + "/big", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == BIG[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(BIG)}"
    etag = r.headers["etag"]
    r = httpx.get(base + "/big", headers={"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b""
    r = httpx.head(base + "/big")
    assert r.status_code == 200 and r.headers["content-length"] == str(len(BIG))


def test_compressed_response(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served
    r = httpx.get(base + "/compressed", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.text == "squeeze me " * 500


def test_handler_error_is_a_500(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served
    r = httpx.get(base + "/fail")
    assert r.status_code == 500 and "Server got itself in trouble" in r.text
    assert httpx.get(base + "/nowhere").status_code == 404
    assert httpx.post(base + "/").status_code == 405


def test_request_body_streamed_in_pieces(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(BIG), 30_000):
            yield BIG[i : i + 30_000]

    r = httpx.post(base + "/echo", content=chunks())  # chunked upload
    assert r.json()["size"] == len(BIG)
    r = httpx.post(base + "/echo-body", content=BIG)
    assert r.content == BIG


def _raw_exchange(base: str, head: bytes, body: bytes | None) -> bytes:
    """Send a head, wait for the first answer, send ``body`` if given, read the rest."""
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=5) as sock:
        sock.sendall(head)
        first = sock.recv(65536)
        if body is not None and first.startswith(b"HTTP/1.1 100"):
            sock.sendall(body)
            rest = b""
            while not rest.endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                rest += data
            return first + rest
        return first


def test_expect_continue(served: tuple[str, str, Path]) -> None:
    """A handler that reads the body gets it after ``100 Continue``; one that refuses
    without reading answers at once and no ``100 Continue`` is sent."""
    kind, base, _ = served
    head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    out = _raw_exchange(base, head, b"12345")
    assert out.startswith(b"HTTP/1.1 100 "), out[:80]  # (hypercorn sends no reason phrase)
    assert b'"size": 5' in out
    head = head.replace(b"/echo", b"/reject")
    with socket.create_connection(("127.0.0.1", port_of(base)), timeout=5) as sock:
        sock.sendall(head)
        out = b""
        while b"HTTP/1.1 403" not in out:
            data = sock.recv(65536)
            if not data:
                break
            out += data
    if kind == "hypercorn" and out.startswith(b"HTTP/1.1 100 "):
        # hypercorn 0.18 sends 100 Continue as soon as the request arrives, before the
        # application asks for the body (the adapter cannot hold it back).
        out = out.split(b"\r\n\r\n", 1)[1]
    assert out.startswith(b"HTTP/1.1 403"), out[:80]


def test_sse(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served
    with httpx.stream("GET", base + "/events") as r:
        assert r.headers["content-type"] == "text/event-stream"
        text = "".join(r.iter_text())
    assert [line for line in text.splitlines() if line.startswith("data:")] == [
        "data: tick 0",
        "data: tick 1",
        "data: tick 2",
    ]


def test_websocket(served: tuple[str, str, Path]) -> None:
    kind, base, events = served
    url = base.replace("http", "ws") + "/ws"

    async def main() -> None:
        async with websockets.connect(url, subprotocols=["superchat"]) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "superchat"
            await ws.send("hi")
            assert await ws.recv() == "echo:hi"
            await ws.send(b"abc")
            assert await ws.recv() == b"cba"
            big = "x" * 200_000
            await ws.send(big)
            assert await ws.recv() == "echo:" + big
            await ws.send("close")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "asked")
        # client-initiated close: the handler sees the client's code
        async with websockets.connect(url) as ws:
            await ws.send("one")
            assert await ws.recv() == "echo:one"
            await ws.close(code=4002, reason="bye")
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(base.replace("http", "ws") + "/ws-refused"):
                pass
        assert refused.value.response.status_code == 403

    asyncio.run(main())
    deadline = time.monotonic() + 5
    while events.read_text().count("ws closed") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    if kind == "hypercorn":
        # hypercorn 0.18 reports a client's close as websocket.disconnect with 1006 (and its
        # own 1000 after the application's close), not the code the client sent.
        assert "ws closed 1000" in events.read_text() and "ws closed 1006" in events.read_text()
        return
    assert "ws closed 4001" in events.read_text()
    assert "ws closed 4002" in events.read_text()


def test_websocket_permessage_deflate_is_the_servers(served: tuple[str, str, Path]) -> None:
    """The client offers permessage-deflate: the ASGI server negotiates it (or not), and
    messages arrive whole either way (the session never sees the extension)."""
    kind, base, _ = served
    url = base.replace("http", "ws") + "/ws"

    async def main() -> str | None:
        async with websockets.connect(url, compression="deflate") as ws:
            await ws.send("z" * 10_000)
            assert await ws.recv() == "echo:" + "z" * 10_000
            return ws.response.headers.get("Sec-WebSocket-Extensions")  # type: ignore[union-attr]

    negotiated = asyncio.run(main())
    if kind == "uvicorn":
        assert negotiated is not None and "permessage-deflate" in negotiated


def _runner_order(events: Path) -> list[str]:
    """The hooks' order under aioweb's own AppRunner: the reference for every ASGI server."""

    from asgi_apps import make_app

    from aioweb import web

    os.environ["ASGI_EVENTS"] = str(events)

    async def main() -> None:
        runner = web.AppRunner(make_app())
        await runner.setup()
        await runner.cleanup()

    try:
        asyncio.run(main())
    finally:
        del os.environ["ASGI_EVENTS"]
    return events.read_text().splitlines()


@pytest.mark.parametrize("kind", KINDS)
def test_lifespan_runs_startup_and_cleanup(kind: str, tmp_path: Path) -> None:
    """on_startup and cleanup_ctx before the first request; on_shutdown, on_cleanup and the
    cleanup_ctx exit when the server stops; in AppRunner's order."""
    expected = _runner_order(tmp_path / "runner.txt")
    assert len(expected) == 5
    events = tmp_path / f"{kind}.txt"
    with server_process(kind, env={"ASGI_EVENTS": str(events)}) as (base, proc):
        assert httpx.get(base + "/info").json()["state"] == "ready"
        assert events.read_text().splitlines() == expected[:2]
        stop_output(proc)
    assert events.read_text().splitlines() == expected


@pytest.mark.parametrize("kind", KINDS)
def test_lifespan_startup_failure_is_reported(kind: str) -> None:
    with _no_wait(kind) as output:
        pass
    assert "database unreachable" in output[0], output[0][-2000:]


class _no_wait:
    """Start the failing app and collect its output once it exits on its own."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.output = [""]

    def __enter__(self) -> list[str]:
        import subprocess

        from asgi_servers import HERE, ROOT, _command, free_port

        cmd = _command(
            self.kind,
            "asgi_apps:failing_app",
            free_port(),
            http="auto",
            certfile=None,
            keyfile=None,
            quic_port=None,
        )
        env = dict(os.environ, PYTHONPATH=f"{HERE}{os.pathsep}{ROOT}")
        proc = subprocess.Popen(
            cmd, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        self.output[0] = out.decode(errors="replace")
        if self.kind != "hypercorn":  # (hypercorn 0.18 logs the failure and exits with 0)
            assert proc.returncode != 0, self.output[0]
        return self.output

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("kind", KINDS)
def test_client_disconnect_cancels_the_handler(kind: str, tmp_path: Path) -> None:
    """``to_asgi(app, handler_cancellation=True)``: a client that leaves cancels its
    handler, as ``AppRunner(handler_cancellation=True)`` does."""
    events = tmp_path / "events.txt"
    env = {"ASGI_EVENTS": str(events), "ASGI_CANCEL": "1"}
    with server_process(kind, env=env) as (base, _proc):
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(base + "/slow", timeout=0.5)
        deadline = time.monotonic() + 5
        while "slow cancelled" not in events.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "slow cancelled" in events.read_text()


def test_info_json_is_json(served: tuple[str, str, Path]) -> None:
    _kind, base, _ = served
    assert json.loads(httpx.get(base + "/info").text)["method"] == "GET"


@pytest.mark.parametrize("kind", ["uvicorn", "granian"])
def test_the_application_itself_is_an_asgi_app(kind: str) -> None:
    """``uvicorn module:app`` on a plain ``web.Application`` (no to_asgi call): uvicorn calls
    ``app(scope)`` (ASGI 2: ``__call__`` is no coroutine function), granian ``app(scope,
    receive, send)``.  hypercorn takes such an object for a WSGI app (it checks
    ``inspect.iscoroutinefunction``), so it is given ``to_asgi(app)`` (docs/asgi.md)."""
    with server_process(kind, "asgi_apps:app") as (base, _proc):
        assert httpx.get(base + "/info").json()["state"] == "ready"
        assert httpx.get(base + "/stream?n=3").text == "part 0\npart 1\npart 2\n"
