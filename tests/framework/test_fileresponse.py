"""FileResponse on a real server: validators, conditionals, ranges, siblings, sendfile.

Clients: httpx, aiohttp's client (it parses multipart/byteranges for us) and curl for ranges
and conditional requests. Every test runs on asyncio's own loop and on uvloop, because the
two send files by different code paths (loop.sendfile vs os.sendfile on a dup'd socket).
"""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import socket
import subprocess
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import aiohttp
import brotli
import httpx
import pytest
import uvloop
from bodies_util import get, parse_response, port_of, raw_request, serve

from aioweb import web
from aioweb.framework.fileresponse import SMALL_FILE

pytestmark = pytest.mark.timeout(90)

CURL = shutil.which("curl")
BIG = 3 * 1024 * 1024 + 17  # well above SMALL_FILE: goes through sendfile
DATA = os.urandom(BIG)


@pytest.fixture(params=["asyncio", "uvloop"])
def runner(request: pytest.FixtureRequest) -> Callable[[Awaitable[Any]], Any]:
    def run(coro: Awaitable[Any]) -> Any:
        factory = uvloop.new_event_loop if request.param == "uvloop" else None
        with asyncio.Runner(loop_factory=factory) as r:
            return r.run(asyncio.wait_for(coro, 60))  # type: ignore[arg-type]

    return run


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "big.bin").write_bytes(DATA)
    (tmp_path / "small.txt").write_text("hello, small world\n" * 10)
    css = b"body { color: red; }\n" * 500
    (tmp_path / "style.css").write_bytes(css)
    (tmp_path / "style.css.gz").write_bytes(gzip.compress(css))
    (tmp_path / "style.css.br").write_bytes(brotli.compress(css))
    (tmp_path / "only-gz.js").write_bytes(b"let x = 1;\n" * 300)
    (tmp_path / "only-gz.js.gz").write_bytes(gzip.compress(b"let x = 1;\n" * 300))
    (tmp_path / "archive.tar.gz").write_bytes(gzip.compress(b"not really a tar"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    return tmp_path


def make_app(root: Path) -> web.Application:
    async def send(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(root / request.match_info["name"])

    async def send_compressed(request: web.Request) -> web.StreamResponse:
        resp = web.FileResponse(root / request.match_info["name"])
        resp.enable_compression()
        return resp

    async def send_with_headers(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            root / "small.txt",
            headers={"Content-Type": "text/x-custom", "Cache-Control": "max-age=60"},
        )

    app = web.Application()
    app.router.add_get("/f/{name:.+}", send)
    app.router.add_get("/z/{name:.+}", send_compressed)
    app.router.add_get("/custom", send_with_headers)
    return app


async def curl(*args: str) -> tuple[int, dict[str, str], bytes]:
    """Run curl, return (status, headers, body) of the final response."""
    assert CURL is not None
    proc = await asyncio.create_subprocess_exec(
        CURL, "-s", "-D", "-", "--max-time", "20", *args,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, (proc.returncode, err)
    return parse_response(out)


# --- plain GET and HEAD -----------------------------------------------------------------------


def test_get_big_and_small_with_validators(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base, httpx.AsyncClient() as client:
            r = await client.get(f"{base}/f/big.bin")
            assert r.status_code == 200
            assert r.content == DATA
            assert r.headers["Content-Length"] == str(BIG)
            assert r.headers["Accept-Ranges"] == "bytes"
            assert r.headers["Content-Type"] == "application/octet-stream"
            st = (root / "big.bin").stat()
            assert r.headers["ETag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
            assert r.headers["Last-Modified"] == formatdate(int(st.st_mtime), usegmt=True)
            assert "Vary" not in r.headers
            r = await client.get(f"{base}/f/small.txt")
            assert r.text == "hello, small world\n" * 10
            assert r.headers["Content-Type"].startswith("text/plain")
            r = await client.get(f"{base}/f/empty.txt")
            assert r.status_code == 200 and r.content == b""
            assert r.headers["Content-Length"] == "0"

    runner(main())


def test_head_sends_headers_only(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base:
            raw = await raw_request(
                base, b"HEAD /f/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            status, headers, body = parse_response(raw)
            assert status == 200
            assert headers["content-length"] == str(BIG)
            assert body == b""

    runner(main())


def test_content_types(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base, httpx.AsyncClient() as client:
            r = await client.get(f"{base}/f/archive.tar.gz", headers={"Accept-Encoding": "gzip"})
            assert r.headers["Content-Type"] == "application/gzip"
            assert "Content-Encoding" not in r.headers  # the file *is* gzip; do not unpack it
            r = await client.get(f"{base}/custom")
            assert r.headers["Content-Type"] == "text/x-custom"
            assert r.headers["Cache-Control"] == "max-age=60"

    runner(main())


def test_missing_and_directory(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base, httpx.AsyncClient() as client:
            assert (await client.get(f"{base}/f/nope.txt")).status_code == 404
            assert (await client.get(f"{base}/f/sub")).status_code == 403
            os.mkfifo(root / "fifo")  # must not block the server on open()
            assert (await client.get(f"{base}/f/fifo")).status_code == 403
            assert (await client.get(f"{base}/f/small.txt")).status_code == 200

    runner(main())


# --- conditional requests (curl) --------------------------------------------------------------


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_conditionals_with_curl(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base:
            url = f"{base}/f/big.bin"
            status, headers, _ = await curl("-I", url)
            etag, lm = headers["etag"], headers["last-modified"]

            status, headers, body = await curl("-H", f"If-None-Match: {etag}", url)
            assert status == 304 and body == b""
            assert headers["etag"] == etag
            assert "content-length" not in headers or headers["content-length"] == "0"

            status, _, body = await curl("-H", f'If-None-Match: "other", W/{etag}', url)
            assert status == 304  # weak comparison

            status, _, body = await curl("-z", lm, url)  # If-Modified-Since
            assert status == 304 and body == b""
            status, _, body = await curl(
                "-H", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT", url
            )
            assert status == 200 and body == DATA

            status, _, body = await curl("-H", 'If-Match: "nope"', url)
            assert status == 412 and body == b""
            status, _, body = await curl("-H", f"If-Match: {etag}", url)
            assert status == 200 and len(body) == BIG

            status, _, _ = await curl(
                "-H", "If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT", url
            )
            assert status == 412
            # RFC order: If-None-Match wins over If-Modified-Since
            status, _, body = await curl(
                "-H", 'If-None-Match: "other"', "-H", f"If-Modified-Since: {lm}", url
            )
            assert status == 200 and len(body) == BIG

    runner(main())


# --- ranges -----------------------------------------------------------------------------------


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_single_ranges_with_curl(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base:
            url = f"{base}/f/big.bin"
            for spec, start, stop in [
                ("0-99", 0, 100),
                ("1000-", 1000, BIG),
                ("-500", BIG - 500, BIG),
                (f"{BIG - 10}-{BIG + 1000}", BIG - 10, BIG),
                ("100000-2000000", 100000, 2000001),
            ]:
                status, headers, body = await curl("-r", spec, url)
                assert status == 206, spec
                assert headers["content-range"] == f"bytes {start}-{stop - 1}/{BIG}"
                assert headers["content-length"] == str(stop - start)
                assert body == DATA[start:stop], spec

            status, headers, body = await curl("-r", f"{BIG}-", url)
            assert status == 416
            assert headers["content-range"] == f"bytes */{BIG}"
            assert body == b""
            # malformed: ignored, the whole file
            status, _, body = await curl("-H", "Range: bytes=5-2", url)
            assert status == 200 and body == DATA
            status, _, body = await curl("-H", "Range: pages=1-2", url)
            assert status == 200 and len(body) == BIG

    runner(main())


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_if_range_with_curl(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base:
            url = f"{base}/f/big.bin"
            _, headers, _ = await curl("-I", url)
            etag, lm = headers["etag"], headers["last-modified"]
            status, _, body = await curl("-r", "0-9", "-H", f"If-Range: {etag}", url)
            assert status == 206 and body == DATA[:10]
            status, _, body = await curl("-r", "0-9", "-H", f"If-Range: {lm}", url)
            assert status == 206 and body == DATA[:10]
            status, _, body = await curl("-r", "0-9", "-H", 'If-Range: "stale"', url)
            assert status == 200 and body == DATA
            status, _, body = await curl(
                "-r", "0-9", "-H", "If-Range: Sat, 01 Jan 2000 00:00:00 GMT", url
            )
            assert status == 200 and len(body) == BIG

    runner(main())


def test_multiple_ranges_parsed_by_aiohttp(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base, aiohttp.ClientSession() as session:
            wanted = [(0, 10), (5000, 70000), (BIG - 100, BIG)]
            header = "bytes=" + ",".join(f"{a}-{b - 1}" for a, b in wanted)
            async with session.get(f"{base}/f/big.bin", headers={"Range": header}) as resp:
                assert resp.status == 206
                assert resp.content_type == "multipart/byteranges"
                declared = int(resp.headers["Content-Length"])
                raw = await resp.read()
                assert len(raw) == declared
            # parse the same body with aiohttp's own multipart reader
            async with session.get(f"{base}/f/big.bin", headers={"Range": header}) as resp:
                reader = aiohttp.MultipartReader.from_response(resp)
                got = []
                while (part := await reader.next()) is not None:
                    assert part.headers["Content-Type"] == "application/octet-stream"
                    got.append((part.headers["Content-Range"], bytes(await part.read())))
            assert got == [(f"bytes {a}-{b - 1}/{BIG}", DATA[a:b]) for a, b in wanted]
            # overlapping ranges are coalesced into one: a plain 206
            async with session.get(
                f"{base}/f/big.bin", headers={"Range": "bytes=0-99,50-199"}
            ) as resp:
                assert resp.status == 206
                assert resp.headers["Content-Range"] == f"bytes 0-199/{BIG}"
                assert await resp.read() == DATA[:200]
            # too many ranges: the whole file
            many = ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(50))
            async with session.get(f"{base}/f/big.bin", headers={"Range": f"bytes={many}"}) as resp:
                assert resp.status == 200
                assert len(await resp.read()) == BIG

    runner(main())


def test_small_file_multiple_ranges(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base, httpx.AsyncClient() as client:
            text = (root / "small.txt").read_bytes()
            r = await client.get(f"{base}/f/small.txt", headers={"Range": "bytes=0-4,-6"})
            assert r.status_code == 206
            ctype = r.headers["Content-Type"]
            assert ctype.startswith("multipart/byteranges; boundary=")
            boundary = ctype.split("boundary=")[1]
            body = r.content
            assert body.count(f"--{boundary}".encode()) == 3
            assert text[:5] in body and text[-6:] in body
            assert b"Content-Type: text/plain" in body
            assert int(r.headers["Content-Length"]) == len(body)

    runner(main())


# --- pre-compressed siblings ------------------------------------------------------------------


def test_precompressed_siblings(root: Path, runner: Any) -> None:
    async def main() -> None:
        css = (root / "style.css").read_bytes()
        async with serve(make_app(root)) as base, httpx.AsyncClient() as client:
            for accept, coding, raw in [
                ("br, gzip", "br", (root / "style.css.br").read_bytes()),
                ("gzip", "gzip", (root / "style.css.gz").read_bytes()),
                ("gzip;q=0, br;q=0", None, css),
                ("identity", None, css),
            ]:
                async with client.stream(
                    "GET", f"{base}/f/style.css", headers={"Accept-Encoding": accept}
                ) as r:
                    body = b"".join([c async for c in r.aiter_raw()])
                assert r.headers.get("Content-Encoding") == coding, accept
                assert r.headers["Vary"] == "Accept-Encoding"
                assert r.headers["Content-Type"].startswith("text/css")
                assert body == raw
            # httpx decodes transparently: the content is the stylesheet in every case
            r = await client.get(f"{base}/f/style.css")
            assert r.content == css
            # only a .gz sibling: br-only clients get identity, still with Vary
            r = await client.get(f"{base}/f/only-gz.js", headers={"Accept-Encoding": "br"})
            assert "Content-Encoding" not in r.headers
            assert r.headers["Vary"] == "Accept-Encoding"
            assert r.headers["Content-Type"].startswith("text/javascript")
            # different representations, different validators
            a = await client.get(f"{base}/f/style.css", headers={"Accept-Encoding": "gzip"})
            b = await client.get(f"{base}/f/style.css", headers={"Accept-Encoding": "identity"})
            assert a.headers["ETag"] != b.headers["ETag"]

    runner(main())


def test_dynamic_compression_of_a_file(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base, httpx.AsyncClient() as client:
            r = await client.get(f"{base}/z/small.txt", headers={"Accept-Encoding": "gzip"})
            assert r.headers["Content-Encoding"] == "gzip"
            assert r.headers["ETag"].startswith('W/"')  # not byte-identical any more
            assert "Accept-Ranges" not in r.headers
            assert r.text == "hello, small world\n" * 10
            r = await client.get(
                f"{base}/z/big.bin", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-9"}
            )
            assert r.status_code == 200  # ranges of an on-the-fly encoding are not offered
            assert r.content == DATA

    runner(main())


# --- sending: slow readers, pipelining, files that change -------------------------------------


def test_slow_reader_gets_every_byte(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            await loop.sock_connect(sock, ("127.0.0.1", port_of(base)))
            await loop.sock_sendall(sock, get("/f/big.bin"))
            out = bytearray()
            await asyncio.sleep(0.3)  # let the server hit EAGAIN
            while True:
                chunk = await loop.sock_recv(sock, 4096)
                if not chunk:
                    break
                out += chunk
                if len(out) < 200_000:
                    await asyncio.sleep(0.001)
            sock.close()
            status, _, body = parse_response(bytes(out))
            assert status == 200 and body == DATA

    runner(main())


def test_pipelined_requests_stay_in_order(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base:
            req = b"GET /f/big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
            small = b"GET /f/small.txt HTTP/1.1\r\nHost: x\r\n\r\n"
            last = b"GET /f/style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            raw = await raw_request(base, req + small + req + last)
            first, rest = _split_one(raw)
            assert first == DATA
            second, rest = _split_one(rest)
            assert second == (root / "small.txt").read_bytes()
            third, rest = _split_one(rest)
            assert third == DATA
            fourth, rest = _split_one(rest)
            assert fourth == (root / "style.css").read_bytes()
            assert rest == b""

    runner(main())


def _split_one(raw: bytes) -> tuple[bytes, bytes]:
    head, _, rest = raw.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return rest[:length], rest[length:]


def test_file_truncated_while_sending_closes_connection(root: Path, runner: Any) -> None:
    async def main() -> None:
        victim = root / "shrinking.bin"
        victim.write_bytes(os.urandom(16 * 1024 * 1024))
        async with serve(make_app(root)) as base:
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(base))
            writer.write(get("/f/shrinking.bin"))
            head = await reader.readuntil(b"\r\n\r\n")
            assert b"Content-Length: 16777216" in head
            await reader.readexactly(65536)
            with open(victim, "r+b") as f:
                f.truncate(1024 * 1024)
            total = 65536
            async with asyncio.timeout(20):
                while chunk := await reader.read(1 << 20):
                    total += len(chunk)
            assert total < 16 * 1024 * 1024  # short, and the connection was closed
            writer.close()
            # the server is fine
            async with httpx.AsyncClient() as client:
                r = await client.get(f"{base}/f/small.txt")
                assert r.status_code == 200

    runner(main())


def test_changed_file_changes_etag(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base, httpx.AsyncClient() as client:
            a = await client.get(f"{base}/f/small.txt")
            path = root / "small.txt"
            path.write_text("changed")
            os.utime(path, ns=(0, a_ns(a) + 1_000_000_000))
            b = await client.get(
                f"{base}/f/small.txt", headers={"If-None-Match": a.headers["ETag"]}
            )
            assert b.status_code == 200 and b.text == "changed"
            assert b.headers["ETag"] != a.headers["ETag"]

    runner(main())


def a_ns(resp: httpx.Response) -> int:
    return int(resp.headers["ETag"].strip('"').split("-")[0], 16)


def test_small_file_constant() -> None:
    assert SMALL_FILE >= 16 * 1024


def test_nul_byte_in_a_file_name_is_404(root: Path, runner: Any) -> None:
    async def main() -> None:
        async with serve(make_app(root)) as base:
            status, _, _ = parse_response(await raw_request(base, get("/f/small.txt%00.png")))
            assert status == 404

    runner(main())


def _tls_context(tmp: Path) -> Any:
    """A throw-away self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return ctx


def test_tls_falls_back_to_reading(root: Path, runner: Any, tmp_path: Path) -> None:
    """No sendfile through TLS: the file is read and encrypted in chunks, all of it."""
    ctx = _tls_context(tmp_path)

    async def main() -> None:
        runner_ = web.AppRunner(make_app(root))
        await runner_.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        await web.SockSite(runner_, sock, ssl_context=ctx).start()
        try:
            import ssl

            verify = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
            async with httpx.AsyncClient(verify=verify) as client:
                r = await client.get(f"https://127.0.0.1:{port}/f/big.bin")
                assert r.status_code == 200 and r.content == DATA
                r = await client.get(
                    f"https://127.0.0.1:{port}/f/big.bin", headers={"Range": "bytes=10-19,-5"}
                )
                assert r.status_code == 206
                assert DATA[10:20] in r.content and DATA[-5:] in r.content
        finally:
            await runner_.cleanup()

    runner(main())


def test_shutdown_is_not_held_up_by_a_stalled_sendfile(root: Path, runner: Any) -> None:
    async def main() -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        async with serve(make_app(root), shutdown_timeout=0.5) as base:
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            await loop.sock_connect(sock, ("127.0.0.1", port_of(base)))
            await loop.sock_sendall(sock, get("/f/big.bin"))
            await asyncio.sleep(0.5)  # the client reads nothing: the send is stalled
            start = loop.time()
        assert loop.time() - start < 5  # shutdown_timeout, then the stalled send notices
        sock.close()

    runner(main())
