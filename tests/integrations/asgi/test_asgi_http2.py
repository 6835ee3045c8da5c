"""HTTP/2 and HTTP/3 for aioweb applications, through ASGI servers that speak them.

hypercorn: h2c (prior knowledge), HTTP/2 over TLS chosen by ALPN, and HTTP/3 over QUIC
(aioquic); granian: h2c and TLS+ALPN.  Each check uses a real client and asserts the
protocol version actually used (curl's ``%{http_version}``, httpx's ``http_version``,
aioquic's H3 connection), and the version the handler saw (``request.version``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import ssl
import subprocess
from collections.abc import Iterator

import httpx
import pytest
import trustme
from asgi_apps import BIG
from asgi_servers import free_port, server_process
from h3_client import h3_get

pytestmark = pytest.mark.timeout(60)
CURL = shutil.which("curl")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """``(cafile, certfile, keyfile)``: a throwaway CA and a certificate for 127.0.0.1."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("certs")
    cafile, certfile, keyfile = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(cafile))
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    return str(cafile), str(certfile), str(keyfile)


def curl_version(url: str, *args: str) -> tuple[str, bytes]:
    """``(http_version, body)`` as curl reports them."""
    assert CURL is not None
    out = subprocess.run(
        [CURL, "-s", "--max-time", "10", "-w", "\n%{http_version}", *args, url],
        capture_output=True,
        check=True,
    ).stdout
    body, _, version = out.rpartition(b"\n")
    return version.decode(), body


def _check_h2_client(base: str, verify: ssl.SSLContext | bool) -> None:
    """httpx over HTTP/2 only: several requests multiplexed on one connection."""
    plain = base.startswith("http:")
    # h2c needs prior knowledge (http1=False); over TLS, ALPN chooses among both
    client = (
        httpx.Client(http1=False, http2=True) if plain else httpx.Client(http2=True, verify=verify)
    )
    with client:
        r = client.get(base + "/info")
        assert r.http_version == "HTTP/2"
        info = r.json()
        assert info["version"] == [2, 0]
        assert info["scheme"] == ("http" if plain else "https")
        r = client.get(base + "/big")
        assert r.http_version == "HTTP/2"
        assert hashlib.sha256(r.content).digest() == hashlib.sha256(BIG).digest()
        r = client.post(base + "/echo-body", content=BIG[:100_000])
        assert r.content == BIG[:100_000]
        r = client.post(base + "/echo", content=iter([BIG[:50_000], BIG[50_000:120_000]]))
        assert r.json()["size"] == 120_000
        r = client.get(base + "/stream?n=20")
        assert r.text == "".join(f"part {i}\n" for i in range(20))
        r = client.get(base + "/compressed", headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip" and r.text == "squeeze me " * 500


@pytest.fixture(scope="module")
def hypercorn_tls(certs: tuple[str, str, str]) -> Iterator[tuple[str, int]]:
    """hypercorn with TLS on TCP (HTTP/1.1 and HTTP/2 by ALPN) and QUIC (HTTP/3)."""
    _ca, certfile, keyfile = certs
    quic_port = free_port()
    with server_process("hypercorn", certfile=certfile, keyfile=keyfile, quic_port=quic_port) as (
        base,
        _proc,
    ):
        yield base, quic_port


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
@pytest.mark.parametrize("kind", ["hypercorn", "granian"])
def test_h2c_with_curl_and_httpx(kind: str) -> None:
    http = "2" if kind == "granian" else "auto"
    with server_process(kind, http=http) as (base, _proc):
        version, body = curl_version(base + "/", "--http2-prior-knowledge")
        assert (version, body) == ("2", b"hello")
        _check_h2_client(base, False)


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_hypercorn_h2_over_tls_by_alpn(
    hypercorn_tls: tuple[str, int], certs: tuple[str, str, str]
) -> None:
    base, _ = hypercorn_tls
    cafile = certs[0]
    version, body = curl_version(base + "/", "--http2", "--cacert", cafile)
    assert (version, body) == ("2", b"hello")
    version, _ = curl_version(base + "/", "--http1.1", "--cacert", cafile)
    assert version == "1.1"  # the same port still speaks HTTP/1.1 to who asks for it
    _check_h2_client(base, ssl.create_default_context(cafile=cafile))


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_granian_h2_over_tls_by_alpn(certs: tuple[str, str, str]) -> None:
    cafile, certfile, keyfile = certs
    with server_process("granian", certfile=certfile, keyfile=keyfile) as (base, _proc):
        version, body = curl_version(base + "/", "--http2", "--cacert", cafile)
        assert (version, body) == ("2", b"hello")
        _check_h2_client(base, ssl.create_default_context(cafile=cafile))


def test_hypercorn_http3_over_quic(
    hypercorn_tls: tuple[str, int], certs: tuple[str, str, str]
) -> None:
    base, quic_port = hypercorn_tls
    url = f"https://127.0.0.1:{quic_port}"

    async def main() -> None:
        status, headers, body = await h3_get(url + "/", certs[0])
        assert (status, body) == (200, b"hello")
        assert "connection" not in headers and "transfer-encoding" not in headers
        status, _, body = await h3_get(url + "/info", certs[0])
        info = json.loads(body)
        assert info["version"] == [3, 0] and info["scheme"] == "https"
        status, _, body = await h3_get(url + "/big", certs[0])
        assert hashlib.sha256(body).digest() == hashlib.sha256(BIG).digest()
        status, _, body = await h3_get(url + "/echo-body", certs[0], "POST", BIG[:50_000])
        assert body == BIG[:50_000]

    asyncio.run(main())
    # hypercorn announces HTTP/3 on its TCP responses (Alt-Svc), which is how browsers find it
    r = httpx.get(base + "/", verify=ssl.create_default_context(cafile=certs[0]))
    assert f":{quic_port}" in r.headers.get("alt-svc", "")
