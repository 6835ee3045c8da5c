"""Raw-socket helpers for the server, framework and compat tests: send exact bytes, read exact
responses.

The server under test is reached through plain blocking-free asyncio streams so that
malformed input reaches it byte for byte, with no client library in between.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class RawResponse:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


async def open_raw(
    port: int, host: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(host, port)


async def read_response(
    reader: asyncio.StreamReader, *, head_request: bool = False, timeout: float = 5.0
) -> RawResponse:
    """Read one HTTP/1.1 response (Content-Length, chunked or until close)."""
    async with asyncio.timeout(timeout):
        while True:
            line = await reader.readuntil(b"\r\n")
            version, status, *reason = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
            headers: list[tuple[str, str]] = []
            while True:
                hline = await reader.readuntil(b"\r\n")
                if hline == b"\r\n":
                    break
                name, _, value = hline.decode("latin-1").partition(":")
                headers.append((name.strip(), value.strip()))
            resp = RawResponse(int(status), reason[0] if reason else "", version, headers)
            if 100 <= resp.status < 200:
                continue  # interim response (100 Continue): the final one follows
            break
        if head_request or resp.status in (204, 304):
            return resp
        length = resp.header("Content-Length")
        te = resp.header("Transfer-Encoding")
        if te is not None and "chunked" in te.lower():
            chunks = []
            while True:
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    while await reader.readuntil(b"\r\n") != b"\r\n":
                        pass
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            resp.body = b"".join(chunks)
        elif length is not None:
            resp.body = await reader.readexactly(int(length))
        else:
            resp.body = await reader.read()
        return resp


async def exchange(port: int, data: bytes, *, head_request: bool = False) -> RawResponse:
    """Open a connection, send ``data``, read one response, close."""
    reader, writer = await open_raw(port)
    try:
        writer.write(data)
        await writer.drain()
        return await read_response(reader, head_request=head_request)
    finally:
        writer.close()


async def closed_by_peer(reader: asyncio.StreamReader, timeout: float = 5.0) -> bool:
    """True once the server has closed the connection (EOF or reset) within ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                data = await reader.read(65536)
                if not data:
                    return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
