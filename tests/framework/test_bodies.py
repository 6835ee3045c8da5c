"""Request and response bodies on a real server: Expect: 100-continue, streaming responses
with back-pressure, the FAQ's work-after-write_eof pattern, and Content-Encoding request
bodies decoded with limits (compression bombs get 413)."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import os
import resource
import shutil
import socket
import subprocess
import time
import zlib

import aiohttp
import brotli
import httpx
import pytest
from bodies_util import parse_response, port_of, raw_request, run, serve

from aioweb import web

pytestmark = pytest.mark.timeout(90)
CURL = shutil.which("curl")


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.Response(body=body, headers={"X-Sha": hashlib.sha256(body).hexdigest()})


# --- Expect: 100-continue ---------------------------------------------------------------------


async def check_auth(request: web.Request) -> web.StreamResponse | None:
    """The 0.17 page's custom expect handler, in today's spelling."""
    if request.version != web.HttpVersion11:
        return None
    if request.headers.get("EXPECT", "").lower() != "100-continue":
        raise web.HTTPExpectationFailed(text=f"Unknown Expect: {request.headers['EXPECT']}")
    if request.headers.get("AUTHORIZATION") is None:
        raise web.HTTPForbidden()
    if request.headers.get("AUTHORIZATION") == "teapot":
        return web.Response(status=418, text="short and stout")
    assert request.transport is not None
    request.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return None


def expect_app(calls: list[str]) -> web.Application:
    async def guarded(request: web.Request) -> web.Response:
        calls.append("guarded")
        return await echo(request)

    async def no_read(request: web.Request) -> web.Response:
        calls.append("no_read")
        return web.Response(text="did not need it")

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/no-read", no_read)
    app.router.add_post("/guarded", guarded, expect_handler=check_auth)
    return app


async def expect_exchange(
    base: str, path: str, body: bytes, *extra: str, version: str = "1.1"
) -> tuple[bytes, bytes]:
    """Send the head, wait up to 1 s for an interim response, then the body if invited.

    Returns (what came before the body was sent, the rest)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(base))
    head = [f"POST {path} HTTP/{version}", "Host: x", "Connection: close",
            f"Content-Length: {len(body)}", *extra]  # fmt: skip
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    await writer.drain()
    first = b""
    try:
        async with asyncio.timeout(1.0):
            first = await reader.readuntil(b"\r\n\r\n")
    except TimeoutError:
        pass
    if first.startswith(b"HTTP/1.1 100"):
        writer.write(body)
        await writer.drain()
    rest = b""
    async with asyncio.timeout(10):
        while chunk := await reader.read(65536):
            rest += chunk
    writer.close()
    return first, rest


def test_default_100_continue_then_body() -> None:
    async def main() -> None:
        calls: list[str] = []
        async with serve(expect_app(calls)) as base:
            first, rest = await expect_exchange(base, "/echo", b"hello", "Expect: 100-continue")
            assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
            status, _, body = parse_response(rest)
            assert status == 200 and body == b"hello"

    run(main())


def test_no_100_when_the_handler_does_not_read() -> None:
    async def main() -> None:
        calls: list[str] = []
        async with serve(expect_app(calls)) as base:
            first, rest = await expect_exchange(
                base, "/no-read", b"x" * 1000, "Expect: 100-continue"
            )
            status, _, body = parse_response(first + rest)
            assert status == 200 and body == b"did not need it"
            assert b"100 Continue" not in first + rest

    run(main())


def test_expect_handler_refuses_without_reading() -> None:
    async def main() -> None:
        calls: list[str] = []
        async with serve(expect_app(calls)) as base:
            first, rest = await expect_exchange(base, "/guarded", b"x" * 10, "Expect: 100-continue")
            status, _, _ = parse_response(first + rest)
            assert status == 403
            first, rest = await expect_exchange(
                base, "/guarded", b"x" * 10, "Expect: 100-continue", "Authorization: teapot"
            )
            status, _, body = parse_response(first + rest)
            assert status == 418 and body == b"short and stout"
            assert calls == []  # the route handler never ran
            first, rest = await expect_exchange(
                base, "/guarded", b"secret", "Expect: 100-continue", "Authorization: yes"
            )
            assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
            status, _, body = parse_response(rest)
            assert status == 200 and body == b"secret"
            assert calls == ["guarded"]

    run(main())


def test_unknown_expectation_is_417() -> None:
    async def main() -> None:
        async with serve(expect_app([])) as base:
            for path in ("/echo", "/guarded"):
                first, rest = await expect_exchange(base, path, b"x", "Expect: teapot-mode")
                status, _, _ = parse_response(first + rest)
                assert status == 417, path

    run(main())


def test_expect_ignored_for_http_10() -> None:
    async def main() -> None:
        async with serve(expect_app([])) as base:
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(base))
            writer.write(
                b"POST /echo HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc"
            )
            raw = b""
            async with asyncio.timeout(10):
                while chunk := await reader.read(65536):
                    raw += chunk
            writer.close()
            assert b"100 Continue" not in raw
            assert parse_response(raw)[2] == b"abc"

    run(main())


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_expect_100_continue() -> None:
    async def main() -> None:
        async with serve(expect_app([])) as base:
            data = os.urandom(600_000)  # under client_max_size (else: 413 before 100)
            path = f"/tmp/aioweb-expect-{os.getpid()}.bin"
            with open(path, "wb") as f:
                f.write(data)
            try:
                proc = await asyncio.create_subprocess_exec(
                    CURL, "-sv", "--expect100-timeout", "30", "--data-binary", f"@{path}", "-H", "Expect: 100-continue",
                    "-H", "Content-Type: application/octet-stream", f"{base}/echo", "-o", "/dev/null",
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                )  # fmt: skip
                _, err = await proc.communicate()
            finally:
                os.unlink(path)
            assert b"HTTP/1.1 100 Continue" in err
            assert f"x-sha: {hashlib.sha256(data).hexdigest()}".encode() in err.lower()

    run(main())


# --- streaming responses ----------------------------------------------------------------------


def test_chunked_stream_response_with_httpx() -> None:
    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_type = "text/plain"
        await resp.prepare(request)
        for i in range(100):
            await resp.write(f"line {i}\n".encode())
        await resp.write_eof()
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/stream", stream)
        async with serve(app) as base, httpx.AsyncClient() as client:
            async with client.stream("GET", f"{base}/stream") as r:
                assert r.headers["Transfer-Encoding"] == "chunked"
                text = "".join([chunk async for chunk in r.aiter_text()])
            assert text == "".join(f"line {i}\n" for i in range(100))

    run(main())


def test_write_waits_for_a_slow_client() -> None:
    """Back-pressure: a client that does not read stops the handler, not the memory."""
    progress = {"written": 0, "done": False}
    total = 64 * 1024 * 1024

    async def flood(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        block = b"x" * 65536
        for _ in range(total // len(block)):
            await resp.write(block)
            progress["written"] += len(block)
        await resp.write_eof()
        progress["done"] = True
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/flood", flood)
        async with serve(app) as base:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            await loop.sock_connect(sock, ("127.0.0.1", port_of(base)))
            await loop.sock_sendall(
                sock, b"GET /flood HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            await asyncio.sleep(1.0)
            stalled_at = progress["written"]
            # kernel buffers + the transport's high-water mark: a few MiB, not 64
            assert stalled_at < 16 * 1024 * 1024, stalled_at
            await asyncio.sleep(0.5)
            assert progress["written"] - stalled_at <= 256 * 1024  # really waiting
            received = 0
            while chunk := await loop.sock_recv(sock, 1 << 20):
                received += len(chunk)
            sock.close()
            assert progress["done"]
            assert received > total

    run(main())


def test_faq_work_after_write_eof() -> None:
    events: list[tuple[str, float]] = []

    async def ping_handler(request: web.Request) -> web.Response:
        """Send PONG and increase DB counter (the FAQ's handler)."""
        resp = web.json_response({"message": "PONG"})
        await resp.prepare(request)
        await resp.write_eof()
        await asyncio.sleep(0.5)  # slow follow-up work, after the client has its answer
        events.append(("work done", time.monotonic()))
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/ping", ping_handler)
        async with serve(app) as base, aiohttp.ClientSession() as session:
            start = time.monotonic()
            async with session.get(f"{base}/ping") as resp:
                assert await resp.json() == {"message": "PONG"}
            got_it = time.monotonic()
            assert got_it - start < 0.45  # did not wait for the work
            for _ in range(50):
                if events:
                    break
                await asyncio.sleep(0.05)
            assert events and events[0][1] >= got_it
            # and the connection is reusable afterwards
            async with session.get(f"{base}/ping") as resp:
                assert resp.status == 200

    run(main())


def test_client_going_away_mid_stream() -> None:
    outcome: list[str] = []

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        try:
            for _ in range(100_000):
                await resp.write(b"y" * 65536)
        except ConnectionError:
            outcome.append("ConnectionError")
            raise
        return resp

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/endless", endless)
        async with serve(app) as base:
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(base))
            writer.write(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
            await reader.read(100_000)
            writer.transport.abort()
            for _ in range(40):
                if outcome:
                    break
                await asyncio.sleep(0.05)
            async with httpx.AsyncClient() as client:
                app.router  # noqa: B018 - the server still answers:
                r = await client.get(f"{base}/nothing-here")
                assert r.status_code == 404

    run(main())


# --- Content-Encoding request bodies ----------------------------------------------------------


def decode_app(client_max_size: int = 1024**2) -> web.Application:
    async def streamed(request: web.Request) -> web.Response:
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.content.iter_chunked(65536):
            digest.update(chunk)
            size += len(chunk)
        return web.json_response({"size": size, "sha": digest.hexdigest()})

    async def form(request: web.Request) -> web.Response:
        return web.json_response(dict(await request.post()))

    async def json_body(request: web.Request) -> web.Response:
        return web.json_response(await request.json())

    app = web.Application(client_max_size=client_max_size)
    app.router.add_post("/echo", echo)
    app.router.add_post("/streamed", streamed)
    app.router.add_post("/form", form)
    app.router.add_post("/json", json_body)
    return app


ENCODE = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "gzip, br": lambda b: brotli.compress(gzip.compress(b)),
}


@pytest.mark.parametrize("coding", sorted(ENCODE))
def test_encoded_request_bodies_are_decoded(coding: str) -> None:
    async def main() -> None:
        data = os.urandom(1000) * 300  # compressible, 300 KB
        async with serve(decode_app()) as base, httpx.AsyncClient() as client:
            headers = {"Content-Encoding": coding}
            r = await client.post(f"{base}/echo", content=ENCODE[coding](data), headers=headers)
            assert r.status_code == 200 and r.content == data
            big = os.urandom(4096) * 2500  # 10 MB through the streaming path
            r = await client.post(f"{base}/streamed", content=ENCODE[coding](big), headers=headers)
            assert r.json() == {"size": len(big), "sha": hashlib.sha256(big).hexdigest()}
            r = await client.post(
                f"{base}/form",
                content=ENCODE[coding](b"a=1&b=%C3%BC"),
                headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
            )
            assert r.json() == {"a": "1", "b": "ü"}
            r = await client.post(
                f"{base}/json",
                content=ENCODE[coding](b'{"k": [1, 2]}'),
                headers={**headers, "Content-Type": "application/json"},
            )
            assert r.json() == {"k": [1, 2]}

    run(main())


def test_aiohttp_client_compressed_upload() -> None:
    async def main() -> None:
        data = b"compress me " * 50_000
        async with (
            serve(decode_app()) as base,
            aiohttp.ClientSession() as session,
            session.post(f"{base}/echo", data=data, compress="deflate") as resp,
        ):
            assert resp.status == 200
            assert await resp.read() == data

    run(main())


@pytest.mark.parametrize("coding", ["gzip", "br"])
def test_compression_bomb_is_413_not_memory(coding: str) -> None:
    async def main() -> None:
        zeros = b"\0" * 200_000_000  # 200 MB of zeros, in well under 1 MB
        bomb = gzip.compress(zeros, 1) if coding == "gzip" else brotli.compress(zeros, quality=1)
        del zeros
        assert len(bomb) < 1_000_000
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        async with (
            serve(decode_app(client_max_size=1024**2)) as base,
            httpx.AsyncClient(timeout=60) as client,  # decoding 1 MB of bomb is slow on a busy box
        ):
            r = await client.post(
                f"{base}/echo", content=bomb, headers={"Content-Encoding": coding}
            )
            assert r.status_code == 413
            r = await client.post(f"{base}/echo", content=b"fine")
            assert r.status_code == 200
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        assert grown_mb < 50, grown_mb

    run(main())


def test_bad_encodings() -> None:
    async def main() -> None:
        async with serve(decode_app()) as base, httpx.AsyncClient() as client:
            r = await client.post(
                f"{base}/echo", content=b"whatever", headers={"Content-Encoding": "zstd"}
            )
            assert r.status_code == 415
            r = await client.post(
                f"{base}/echo", content=b"not gzip at all", headers={"Content-Encoding": "gzip"}
            )
            assert r.status_code == 400
            truncated = gzip.compress(b"abc" * 10000)[:-20]
            r = await client.post(
                f"{base}/echo", content=truncated, headers={"Content-Encoding": "gzip"}
            )
            assert r.status_code == 400
            r = await client.post(
                f"{base}/echo", content=b"plain", headers={"Content-Encoding": "identity"}
            )
            assert r.content == b"plain"

    run(main())


def test_raw_request_with_gzip_and_chunked() -> None:
    async def main() -> None:
        payload = gzip.compress(b"hello chunked gzip " * 1000)
        chunks = b"".join(
            f"{len(payload[i : i + 1000]):x}\r\n".encode() + payload[i : i + 1000] + b"\r\n"
            for i in range(0, len(payload), 1000)
        )
        async with serve(decode_app()) as base:
            raw = await raw_request(
                base,
                b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
                + chunks
                + b"0\r\n\r\n",
            )
            status, _, body = parse_response(raw)
            assert status == 200 and body == b"hello chunked gzip " * 1000

    run(main())


def test_content_encoding_on_two_lines_is_one_list() -> None:
    """RFC 9110 §5.3: two Content-Encoding lines are the list "gzip, br"; both codings are
    undone, in order (the decoder once read only the first line and handed the handler a
    half-decoded body)."""

    async def main() -> None:
        data = b"two lines, two codings " * 500
        payload = brotli.compress(gzip.compress(data))
        async with serve(decode_app()) as base:
            raw = await raw_request(
                base,
                b"POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Content-Encoding: gzip\r\nContent-Encoding: br\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload,
            )
            status, _, body = parse_response(raw)
            assert status == 200 and body == data

    run(main())


def test_abandoned_compressed_bodies_leave_no_tasks_behind() -> None:
    async def first_chunk_only(request: web.Request) -> web.Response:
        chunk = await request.content.read(1000)
        return web.Response(text=str(len(chunk)))

    async def main() -> None:
        import gc

        problems: list[str] = []
        asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: problems.append(context["message"])
        )
        app = web.Application()
        app.router.add_post("/partial", first_chunk_only)
        body = gzip.compress(os.urandom(1000) * 5000)  # 5 MB decoded; the handler reads 1 KB
        async with serve(app) as base, httpx.AsyncClient() as client:
            for _ in range(20):  # keep-alive: one connection, many abandoned bodies
                r = await client.post(
                    f"{base}/partial", content=body, headers={"Content-Encoding": "gzip"}
                )
                assert r.text == "1000"
            for _ in range(5):
                gc.collect()
                await asyncio.sleep(0.05)
            pumps = [t for t in asyncio.all_tasks() if "_pump" in repr(t.get_coro())]
            assert pumps == []
            assert problems == []  # no "Task was destroyed but it is pending!"

    run(main())


def test_100_continue_for_a_compressed_body() -> None:
    async def main() -> None:
        body = gzip.compress(b"squeezed " * 1000)
        async with serve(expect_app([])) as base:
            first, rest = await expect_exchange(
                base, "/echo", body, "Expect: 100-continue", "Content-Encoding: gzip"
            )
            assert first == b"HTTP/1.1 100 Continue\r\n\r\n"
            status, _, got = parse_response(rest)
            assert status == 200 and got == b"squeezed " * 1000

    run(main())
