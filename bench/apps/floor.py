"""The Python floor: httptools + uvloop answering fixed replies, with no framework at all.

Not a peer anyone would deploy: it shows the least a pure-Python httptools server can cost
per request on this machine, so a framework's figure can be read as "floor + framework".
One ``transport.write`` per read: every response parsed from one read is sent together.
"""

from __future__ import annotations

import argparse
import asyncio
import socket

import httptools
import uvloop

HELLO = b"Hello, World!"


def reply(body: bytes, ctype: bytes = b"text/plain; charset=utf-8") -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
    return head % (ctype, len(body)) + body


FIXED = {
    b"/": reply(HELLO),
    b"/json": reply(b'{"message": "Hello, World!"}', b"application/json; charset=utf-8"),
}


class FloorProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.body: list[bytes] = []
        self.out: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        url = self.url
        fixed = FIXED.get(url)
        if fixed is not None:
            self.out.append(fixed)
        elif url.startswith(b"/user/"):
            self.out.append(reply(b"user " + url[6:]))
        elif url == b"/echo":
            self.out.append(reply(b"".join(self.body), b"application/octet-stream"))
        else:
            self.out.append(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        self.body.clear()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()
            return
        if self.out:
            self.transport.write(b"".join(self.out))
            self.out.clear()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    loop = uvloop.new_event_loop()
    sock = socket.create_server((args.host, args.port), backlog=1024, reuse_port=False)
    server = loop.run_until_complete(loop.create_server(FloorProtocol, sock=sock))
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
