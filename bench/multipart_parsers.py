"""Our sans-IO multipart parser against python-multipart's, under the same MultipartReader.

Run: .venv/bin/python bench/multipart_parsers.py

Both parsers are driven through aioweb.multipart.MultipartReader (the aiohttp API), fed from
memory in 64 KiB chunks, so the figures compare parsing plus the reader's own overhead and
nothing else. It also feeds both the malformed bodies from tests/http/test_multipart_parser.py
and reports which ones each parser rejects ("as strict" is the condition for keeping ours).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections import deque
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import python_multipart
from python_multipart.exceptions import MultipartParseError

from aioweb import multipart as mp
from aioweb.http import multipart as ours


class PythonMultipartAdapter:
    """python-multipart's callback parser behind our sans-IO event interface."""

    def __init__(self, boundary: str, **_: Any) -> None:
        self._events: deque[Any] = deque()
        self._headers: list[tuple[str, str]] = []
        self._name = bytearray()
        self._value = bytearray()
        self._eof = False
        self._ended = False
        ev = self._events

        def on_part_begin() -> None:
            self._headers = []

        def on_header_field(b: bytes, s: int, e: int) -> None:
            self._name += b[s:e]

        def on_header_value(b: bytes, s: int, e: int) -> None:
            self._value += b[s:e]

        def on_header_end() -> None:
            self._headers.append(
                (self._name.decode("latin-1"), self._value.decode("utf-8", "replace"))
            )
            self._name.clear()
            self._value.clear()

        def on_headers_finished() -> None:
            ev.append(ours.PartHeaders(self._headers))

        def on_part_data(b: bytes, s: int, e: int) -> None:
            if e > s:
                ev.append(b[s:e])

        def on_part_end() -> None:
            ev.append(ours.PART_END)

        def on_end() -> None:
            self._ended = True
            ev.append(ours.END)

        self._p = python_multipart.MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_headers_finished": on_headers_finished,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
                "on_end": on_end,
            },
        )

    def feed(self, data: bytes) -> None:
        try:
            self._p.write(data)
        except MultipartParseError as exc:
            raise ours.MultipartError(str(exc)) from None

    def feed_eof(self) -> None:
        self._eof = True
        try:
            self._p.finalize()
        except MultipartParseError as exc:
            raise ours.MultipartError(str(exc)) from None

    def next_event(self) -> Any:
        if self._events:
            return self._events.popleft()
        if self._eof:
            if self._ended:
                return ours.END
            raise ours.MultipartError("truncated")
        return ours.NEED_DATA


class Source:
    def __init__(self, data: bytes, step: int = 65536) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    async def readany(self) -> bytes:
        chunk = bytes(self._data[self._pos : self._pos + self._step])
        self._pos += len(chunk)
        return chunk


def make_body(parts: list[tuple[str, bytes]], boundary: str) -> bytes:
    out = bytearray()
    for name, data in parts:
        out += f"--{boundary}\r\n".encode()
        out += f'Content-Disposition: form-data; name="{name}"; filename="{name}.bin"\r\n'.encode()
        out += b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


async def consume(body: bytes, boundary: str) -> int:
    reader = mp.MultipartReader(
        {"Content-Type": f"multipart/form-data; boundary={boundary}"}, Source(body)
    )
    total = 0
    async for part in reader:
        while chunk := await part.read_chunk(65536):
            total += len(chunk)
    return total


def run(parser_cls: Any, body: bytes, boundary: str, rounds: int) -> float:
    original = mp.MultipartParser
    mp.MultipartParser = parser_cls  # type: ignore[misc]
    try:
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            asyncio.run(consume(body, boundary))
            times.append(time.perf_counter() - t)
        return statistics.median(times)
    finally:
        mp.MultipartParser = original  # type: ignore[misc]


def strictness(parser_cls: Any) -> list[bool]:
    from tests.http.test_multipart_parser import MALFORMED  # type: ignore[import-not-found]

    results = []
    for body in MALFORMED:
        try:
            p = parser_cls("b")
            p.feed(body)
            p.feed_eof()
            for _ in range(10000):
                ev = p.next_event()
                if ev is ours.END:
                    break
            results.append(False)  # accepted
        except ours.MultipartError:
            results.append(True)  # rejected
    return results


def main() -> None:
    boundary = "----WebKitFormBoundaryQ3xHZbYz4kCdA8rS"
    random_data = os.urandom(16 * 1024 * 1024)
    cases = {
        "one 16 MiB file": make_body([("f", random_data)], boundary),
        "1000 fields of 100 B": make_body(
            [(f"k{i}", os.urandom(100)) for i in range(1000)], boundary
        ),
        "CR-heavy 4 MiB file": make_body([("f", b"\r\n-\r" * (1024 * 1024))], boundary),
    }
    print(f"{'case':24} {'aioweb':>10} {'python-multipart':>17} {'ratio':>7}")
    for label, body in cases.items():
        a = run(ours.MultipartParser, body, boundary, 5)
        b = run(PythonMultipartAdapter, body, boundary, 3)
        print(f"{label:24} {a * 1000:8.1f}ms {b * 1000:15.1f}ms {b / a:6.1f}x")
    try:
        ours_strict = strictness(ours.MultipartParser)
        theirs_strict = strictness(PythonMultipartAdapter)
        print(
            f"malformed bodies rejected: aioweb {sum(ours_strict)}/{len(ours_strict)}, "
            f"python-multipart {sum(theirs_strict)}/{len(theirs_strict)}"
        )
    except ImportError:
        print("(run from the repository root to include the strictness comparison)")


if __name__ == "__main__":
    main()
