"""Bounded, reproducible fuzzing of multipart parsing (issue 11, item 8).

Inputs are the seeds in ``corpus/multipart/`` mutated by hypothesis (derandomized: the same
examples on every run, no example database), fed in arbitrary splits to

* the sans-IO ``MultipartParser``, whose only documented error is ``MultipartError``; and
* ``MultipartReader`` + ``read_form`` (what ``request.post()`` runs) over aioweb's own
  ``StreamReader``, where ``MultipartError`` (400) and ``PayloadTooLarge`` (413) are the
  documented errors.

Asserted for every input: no other exception; no hang (the parser must make progress on
every call: a step budget proportional to the input, a per-example deadline, and pytest's
timeout); events in a legal order; a parser that raised keeps raising; the outcome does not
depend on how the bytes were split; memory held back by the parser stays bounded.
The whole file runs in about 20 seconds (3,000 parser and 4,000 reader examples).
"""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from aioweb.framework.multipart import MultipartReader, PayloadTooLarge
from aioweb.framework.multipart_form import read_form
from aioweb.http.multipart import (
    END,
    NEED_DATA,
    PART_END,
    MultipartError,
    MultipartParser,
    PartHeaders,
)
from aioweb.server.streams import StreamReader

pytestmark = pytest.mark.timeout(120)

CORPUS_DIR = Path(__file__).parent / "corpus" / "multipart"
CORPUS = {p.name: p.read_bytes() for p in sorted(CORPUS_DIR.glob("*.bin"))}
_FIRST_DELIMITER = re.compile(rb"^--([^\r\n]*?)(?:--)?[ \t]*\r?$", re.MULTILINE)


def boundary_of(seed: bytes) -> str:
    """The seed's boundary: its first ``--`` line (see corpus/multipart/README.md)."""
    m = _FIRST_DELIMITER.search(seed)
    return m.group(1).decode("latin-1") if m and m.group(1) else "b"


# Fragments a mutation may insert: pieces of delimiters and header syntax, the bytes where
# parsers go wrong (CR, LF, NUL, '-', ':'), odd Content-Length values and nesting.
FRAGMENTS = [
    b"\r\n",
    b"\r",
    b"\n",
    b"--",
    b"\r\n--",
    b"\x00",
    b":",
    b" ",
    b"\t",
    b"Content-Length: 5\r\n",
    b"Content-Length: +5\r\n",
    "Content-Length: \uff15\r\n".encode(),
    b"Content-Length: 99999999999999999999\r\n",
    b"Content-Type: multipart/mixed; boundary=b\r\n",
    b"Content-Encoding: gzip\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b'Content-Disposition: form-data; name="m"; filename="f"\r\n',
    b"\r\n\r\n",
    b"X" * 300,
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A corpus seed, its boundary, and a few mutations of its bytes."""
    name = draw(st.sampled_from(sorted(CORPUS)))
    data = bytearray(CORPUS[name])
    boundary = boundary_of(bytes(data))
    pieces = [*FRAGMENTS, b"--" + boundary.encode(), b"\r\n--" + boundary.encode() + b"--"]
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "flip", "dup", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            data[at:at] = draw(st.one_of(st.sampled_from(pieces), st.binary(max_size=8)))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif op == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif op == "dup":
            end = min(len(data), at + draw(st.integers(1, 200)))
            data[end:end] = data[at:end] * draw(st.integers(1, 3))
        elif op == "truncate":
            del data[at:]
    return boundary, bytes(data)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in [*points, len(data)]:
        if p > last:
            out.append(data[last:p])
            last = p
    return out


Outcome = tuple[str, object]  # ("ok", parts) or ("error", None)


def run_parser(
    boundary: str, chunks: list[bytes], max_header_size: int, max_headers: int
) -> Outcome:
    """Drive the parser to its end, checking every event; return what it produced."""
    parser = MultipartParser(boundary, max_header_size=max_header_size, max_headers=max_headers)
    total = sum(len(c) for c in chunks)
    # Every call either consumes input or changes state: a generous linear budget.
    budget = 8 * total + 4 * len(chunks) + 32
    feed = iter(chunks)
    parts: list[tuple[list[tuple[str, str]], bytes]] = []
    current: bytearray | None = None
    headers: list[tuple[str, str]] = []
    # held back at most: one header block (or 256 bytes of padding), a delimiter, a chunk
    max_held = max(max_header_size + 4, 300) + len(boundary) + 4 + max(map(len, chunks), default=0)
    try:
        for _ in range(budget):
            ev = parser.next_event()
            assert len(parser._buf) - parser._pos <= max_held
            if ev is NEED_DATA:
                chunk = next(feed, None)
                if chunk is None:
                    parser.feed_eof()
                else:
                    parser.feed(chunk)
            elif isinstance(ev, PartHeaders):
                assert current is None
                assert len(ev.headers) <= max_headers
                headers, current = ev.headers, bytearray()
            elif isinstance(ev, bytes):
                assert current is not None and ev
                current += ev
            elif ev is PART_END:
                assert current is not None
                parts.append((headers, bytes(current)))
                current = None
            else:
                assert ev is END and current is None
                assert parser.next_event() is END  # the end is stable
                assert sum(len(b) for _, b in parts) <= total
                return "ok", parts
        raise AssertionError(f"no end after {budget} parser calls")
    except MultipartError:
        with pytest.raises(MultipartError):  # a failed parser stays failed
            parser.next_event()
        return "error", None


def fuzz(max_examples: int) -> settings:
    """Reproducible and bounded: fixed examples, no database, a per-example deadline."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=timedelta(seconds=2),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@fuzz(3000)
# found by this fuzz: padding after a boundary, fed one byte at a time, was refused when the
# CR of its CRLF arrived without the LF
@example(("ws", CORPUS["11-whitespace-after-boundary.bin"]), [], (16384, 64))
@given(
    mutated(),
    st.lists(st.integers(0, 5000), max_size=12),
    st.sampled_from([(16384, 64), (64, 3), (200, 8)]),
)
def test_parser_raises_only_multipart_error_and_never_hangs(
    case: tuple[str, bytes], cuts: list[int], limits: tuple[int, int]
) -> None:
    boundary, data = case
    whole = run_parser(boundary, [data] if data else [], *limits)
    pieces = run_parser(boundary, split(data, cuts), *limits)
    assert pieces == whole  # how the bytes arrive never changes the result
    one_by_one = run_parser(boundary, [data[i : i + 1] for i in range(len(data))], *limits)
    assert one_by_one == whole
    event(f"parser: {whole[0]}")  # shown by --hypothesis-show-statistics


def stream_of(chunks: list[bytes]) -> StreamReader:
    s = StreamReader(None, 2**16, loop=asyncio.get_running_loop())
    for c in chunks:
        s.feed_data(c)
    s.feed_eof()
    return s


async def read_all(boundary: str, chunks: list[bytes], stream_api: bool) -> str:
    """What a handler sees: post()'s read_form, or the seed's streaming loop (nested too)."""
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    reader = MultipartReader(headers, stream_of(chunks))
    reader._request_max_size = 4096
    if not stream_api:
        reader._raw_limit = 1 << 20
        form = await read_form(reader, max_size=4096, max_fields=50)
        for value in form.values():
            if hasattr(value, "file"):
                value.file.close()
        return "ok"

    async def walk(r: MultipartReader) -> None:
        async for part in r:
            if isinstance(part, MultipartReader):
                await walk(part)
            elif part.headers.get("Content-Encoding"):
                await part.read(decode=True)
            else:
                while await part.read_chunk(7):
                    pass

    await walk(reader)
    return "ok"


@fuzz(4000)
@given(mutated(), st.lists(st.integers(0, 5000), max_size=6), st.booleans())
def test_reader_and_read_form_raise_only_documented_errors(
    case: tuple[str, bytes], cuts: list[int], stream_api: bool
) -> None:
    boundary, data = case

    async def main() -> str:
        try:
            return await asyncio.wait_for(read_all(boundary, split(data, cuts), stream_api), 2)
        except MultipartError as exc:  # from the reader: the 400 kind
            assert getattr(exc, "status", None) == 400
            return "400"
        except PayloadTooLarge as exc:
            assert exc.status == 413
            return "413"

    outcome = asyncio.run(main())
    assert outcome in ("ok", "400", "413")
    event(f"{'stream' if stream_api else 'read_form'}: {outcome}")


def test_corpus_is_present_and_well_formed_seeds_parse() -> None:
    """The seed corpus is committed, and its good seeds really are good (so the fuzz
    starts from forms the parser accepts, not only from garbage)."""
    assert len(CORPUS) >= 15
    good = [n for n in CORPUS if n[:2] in {"01", "02", "03", "04", "05", "08", "09", "17"}]
    for name in good:
        outcome, _ = run_parser(boundary_of(CORPUS[name]), [CORPUS[name]], 16384, 64)
        assert outcome == "ok", name
    for name in ("13-truncated-mid-part.bin", "14-bad-part-content-length.bin"):
        assert run_parser(boundary_of(CORPUS[name]), [CORPUS[name]], 16384, 64)[0] == "error"
