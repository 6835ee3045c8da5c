"""Clients that misbehave at the transport level, concurrency, back-pressure and TLS.

The server must stay quiet (no ERROR logs for a client's own disconnect), keep serving,
and never buffer a whole large response for a client that reads slowly.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import ssl

import aiohttp
import httpx
import pytest
from foundation_util import open_raw, read_response

from aioweb import web


async def test_client_disconnect_while_handler_waits(aiohttp_server, caplog):
    started = asyncio.Event()
    finished = asyncio.Event()

    async def slow(request):
        started.set()
        await asyncio.sleep(0.2)
        finished.set()
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/", lambda request: web.Response(text="index"))
    # the server's default; a test server, as aiohttp's, cancels handlers of gone clients
    server = await aiohttp_server(app, handler_cancellation=False)
    with caplog.at_level(logging.WARNING):
        _reader, writer = await open_raw(server.port)
        writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(started.wait(), 5)
        writer.close()
        # handler_cancellation is off by default (as in aiohttp): the handler runs to its end
        await asyncio.wait_for(finished.wait(), 5)
        await asyncio.sleep(0.05)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{server.port}/")).text == "index"


async def test_handler_cancellation_option(aiohttp_server):
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow(request):
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return web.Response(text="never")

    app = web.Application()
    app.router.add_get("/slow", slow)
    server = await aiohttp_server(app, handler_cancellation=True)
    _reader, writer = await open_raw(server.port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.wait_for(started.wait(), 5)
    writer.close()
    await asyncio.wait_for(cancelled.wait(), 5)


async def test_client_disconnect_during_upload(aiohttp_server, caplog):
    outcome = []

    async def upload(request):
        try:
            await request.read()
        except ConnectionError as exc:
            outcome.append(type(exc).__name__)
            raise
        outcome.append("read")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/up", upload)
    app.router.add_get("/", lambda request: web.Response(text="index"))
    # the server's default; a test server, as aiohttp's, cancels handlers of gone clients
    server = await aiohttp_server(app, handler_cancellation=False)
    with caplog.at_level(logging.WARNING):
        _reader, writer = await open_raw(server.port)
        writer.write(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 500)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        for _ in range(100):
            if outcome:
                break
            await asyncio.sleep(0.01)
    assert outcome and outcome[0] != "read"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{server.port}/")).text == "index"


async def test_slow_reader_gets_back_pressure(aiohttp_server):
    """A handler writing 32 MiB to a client that does not read must be held by drain()."""
    progress = {"written": 0, "done": False}

    async def big(request):
        resp = web.StreamResponse()
        resp.content_length = 32 * 1024 * 1024
        await resp.prepare(request)
        chunk = b"z" * (256 * 1024)
        for _ in range(128):
            await resp.write(chunk)
            progress["written"] += len(chunk)
        await resp.write_eof()
        progress["done"] = True
        return resp

    app = web.Application()
    app.router.add_get("/big", big)
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.sleep(0.3)  # the client reads nothing meanwhile
    assert not progress["done"]
    assert progress["written"] < 16 * 1024 * 1024  # held back, not buffered whole
    total = 0
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert b"Content-Length: 33554432" in head
    async with asyncio.timeout(20):
        while total < 32 * 1024 * 1024:
            data = await reader.read(1 << 20)
            assert data
            total += len(data)
    assert total == 32 * 1024 * 1024
    for _ in range(100):
        if progress["done"]:
            break
        await asyncio.sleep(0.01)
    assert progress["done"]
    writer.close()


async def test_many_concurrent_clients(aiohttp_server):
    async def handler(request):
        await asyncio.sleep(0.01)
        return web.json_response({"i": int(request.query["i"])})

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aiohttp_server(app)
    url = f"http://127.0.0.1:{server.port}/"
    # aiohttp's client (httpx's pool queues slowly past ~100 concurrent requests)
    connector = aiohttp.TCPConnector(limit=150)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(i: int) -> int:
            async with session.get(url, params={"i": i}) as r:
                return (await r.json())["i"]

        results = await asyncio.gather(*(one(i) for i in range(300)))
    assert results == list(range(300))


async def test_write_after_client_disconnect_is_quiet(aiohttp_server, caplog):
    errors = []
    gone = asyncio.Event()

    async def stream(request):
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"first")
        await gone.wait()
        try:
            for _ in range(50):
                await resp.write(b"x" * 65536)
                await asyncio.sleep(0.005)
        except ConnectionError as exc:
            errors.append(type(exc).__name__)
            raise
        return resp

    app = web.Application()
    app.router.add_get("/s", stream)
    # the server's default; a test server, as aiohttp's, cancels handlers of gone clients
    server = await aiohttp_server(app, handler_cancellation=False)
    with caplog.at_level(logging.WARNING):
        reader, writer = await open_raw(server.port)
        writer.write(b"GET /s HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(reader.readuntil(b"first"), 5)
        writer.close()
        await asyncio.sleep(0.05)
        gone.set()
        for _ in range(200):
            if errors:
                break
            await asyncio.sleep(0.01)
    assert errors  # the handler learns the client is gone
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    d = tmp_path_factory.mktemp("tls")
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return d / "cert.pem", d / "key.pem"


async def test_tls_site(tls_files):
    cert, key = tls_files
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def handler(request):
        return web.Response(text=f"{request.scheme} {request.secure} {request.url.scheme}")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    from aioweb.tooling.test_utils import unused_port

    port = unused_port()
    site = web.TCPSite(runner, "127.0.0.1", port, ssl_context=ctx)
    await site.start()
    assert site.name.startswith("https://")
    try:
        client_ctx = ssl.create_default_context(cafile=str(cert))
        client_ctx.check_hostname = False
        async with httpx.AsyncClient(verify=client_ctx) as client:
            r = await client.get(f"https://127.0.0.1:{port}/")
            assert r.text == "https True https"
        # plain HTTP on the TLS port is refused without harm
        reader, writer = await open_raw(port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = await asyncio.wait_for(reader.read(), 5)
        except ConnectionError:
            data = b""
        assert not data.startswith(b"HTTP/1.1 200")
        writer.close()
        async with httpx.AsyncClient(verify=client_ctx) as client:
            assert (await client.get(f"https://127.0.0.1:{port}/")).status_code == 200
    finally:
        await runner.cleanup()


async def test_pipelined_error_stops_the_batch(aiohttp_server):
    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="index"))
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    good = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    writer.write(good * 3 + b"GET / HTTP/1.1\r\nHost: x\r\nBad\x01Header: y\r\n\r\n" + good * 3)
    for _ in range(3):
        assert (await read_response(reader)).body == b"index"
    assert (await read_response(reader)).status == 400
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_streaming_upload_through_request_content(aiohttp_server):
    """``request.content`` streams a body far over client_max_size, with bounded buffering."""
    peak = {"buffered": 0}

    async def upload(request):
        total = 0
        async for chunk in request.content.iter_chunked(65536):
            total += len(chunk)
            peak["buffered"] = max(peak["buffered"], request.content.total_bytes - total)
            await asyncio.sleep(0)  # a slow consumer
        return web.json_response({"total": total})

    app = web.Application(client_max_size=1024)
    app.router.add_post("/up", upload)
    server = await aiohttp_server(app)
    size = 20 * 1024 * 1024

    async def body():
        block = b"u" * (1024 * 1024)
        for _ in range(20):
            yield block

    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{server.port}/up"
        async with session.post(url, data=body()) as r:
            assert r.status == 200
            assert (await r.json())["total"] == size
    # reading pauses at a few times read_bufsize (64 KiB), far below the 20 MiB sent
    assert peak["buffered"] < 4 * 1024 * 1024


async def test_no_connection_or_task_leaks(aiohttp_server):
    async def handler(request):
        if "wait" in request.query:
            await asyncio.sleep(0.001)
        return web.Response(text="x")

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aiohttp_server(app)
    http_server = server.handler  # the protocol factory: it tracks live connections
    baseline = len(asyncio.all_tasks())

    async def one(i: int) -> None:
        reader, writer = await open_raw(server.port)
        path = "/?wait=1" if i % 2 else "/"
        if i % 3 == 0:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await read_response(reader)
        elif i % 3 == 1:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")  # abandoned mid-head
        else:
            writer.write(b"\x00garbage\r\n\r\n")
            await reader.read()
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(one(i) for i in range(150)))
    for _ in range(200):
        if not http_server.connections and len(asyncio.all_tasks()) <= baseline:
            break
        await asyncio.sleep(0.01)
    assert not http_server.connections
    assert len(asyncio.all_tasks()) <= baseline


async def test_pipelined_flood_is_parsed_only_as_fast_as_it_is_answered(aiohttp_server):
    """Thousands of tiny pipelined requests in one read are not all parsed (and held) at
    once: parsing stops past ``max_pipelined`` queued requests and resumes as they are
    answered; every request is still answered, in order."""
    release = asyncio.Event()

    async def handler(request):
        if request.match_info["n"] == "0":
            await release.wait()
        return web.Response(text=request.match_info["n"])

    app = web.Application()
    app.router.add_get("/{n}", handler)
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    count = 3000
    writer.write(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(count)))
    await asyncio.sleep(0.3)
    (protocol,) = server.handler.connections
    assert len(protocol._queue) < 1500  # ~64 plus one 16 KiB slice, not all 3000
    release.set()
    for i in range(count):
        assert (await read_response(reader)).body == str(i).encode()
    writer.close()
