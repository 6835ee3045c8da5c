"""MultipartReader / BodyPartReader over a byte stream, every read API mixed at random.

The stream here is aioweb's own StreamReader (the class request.content is), fed in random
splits; the server-level behaviour is covered in test_multipart.py on real sockets."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioweb.framework.multipart import MultipartError, MultipartReader, MultipartWriter
from aioweb.server.streams import StreamReader

relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=150)


def stream_of(chunks: list[bytes]) -> StreamReader:
    s = StreamReader(None, 2**16, loop=asyncio.get_running_loop())
    for c in chunks:
        s.feed_data(c)
    s.feed_eof()
    return s


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in [*points, len(data)]:
        if p > last:
            out.append(data[last:p])
            last = p
    return out


@relaxed
@given(
    st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
    st.lists(st.integers(0, 20000), max_size=8),
    st.lists(st.sampled_from(["chunk1", "chunk7", "chunk8192", "line", "any"]), min_size=1),
)
def test_mixed_reads_return_every_byte(
    bodies: list[bytes], cuts: list[int], ops: list[str]
) -> None:
    mp = MultipartWriter("form-data")
    for i, body in enumerate(bodies):
        mp.append(body, {"Content-Type": "application/octet-stream"}).set_content_disposition(
            "form-data", name=f"f{i}"
        )
    raw = mp.as_bytes()

    async def main() -> list[bytes]:
        reader = MultipartReader(mp.headers, stream_of(split(raw, cuts)))
        got = []
        async for part in reader:
            buf = bytearray()
            k = 0
            while True:
                op = ops[k % len(ops)]
                k += 1
                if op == "line":
                    piece = await part.readline()
                    assert piece.endswith(b"\n") or part.at_eof() or not piece
                elif op == "any":
                    piece = await part.readany()
                else:
                    size = int(op[5:])
                    piece = await part.read_chunk(size)
                    assert len(piece) <= size
                if not piece:
                    break
                buf += piece
            assert part.at_eof()
            got.append(bytes(buf))
        return got

    assert asyncio.run(main()) == bodies


def test_next_skips_unread_parts_and_read_after_partial() -> None:
    mp = MultipartWriter("mixed", boundary="zz")
    mp.append(b"A" * 50_000)
    mp.append(b"second")
    mp.append(b"third")

    async def main() -> None:
        reader = MultipartReader(mp.headers, stream_of(split(mp.as_bytes(), [10, 999, 30000])))
        first = await reader.next()
        assert first is not None
        assert await first.read_chunk(10) == b"A" * 10  # then abandon it
        second = await reader.next()
        assert bytes(await second.read()) == b"second"  # type: ignore[union-attr]
        third = await reader.next()
        assert await third.read_chunk(3) == b"thi"  # type: ignore[union-attr]
        assert bytes(await third.read()) == b"rd"  # type: ignore[union-attr]
        assert await reader.next() is None
        assert reader.at_eof()
        assert await reader.next() is None

    asyncio.run(main())


def test_truncated_stream_raises_instead_of_hanging() -> None:
    raw = MultipartWriter("mixed", boundary="qq")
    raw.append(b"data" * 1000)
    body = raw.as_bytes()[:-20]

    async def main() -> None:
        reader = MultipartReader(raw.headers, stream_of([body]))
        part = await reader.next()
        assert part is not None
        with pytest.raises(MultipartError):
            await part.read()

    asyncio.run(asyncio.wait_for(main(), 5))


def test_bad_headers_for_the_reader() -> None:
    async def main() -> None:
        s = stream_of([b""])
        with pytest.raises(MultipartError):
            MultipartReader({"Content-Type": "text/plain"}, s)
        with pytest.raises(MultipartError):
            MultipartReader({"Content-Type": "multipart/mixed"}, s)
        with pytest.raises(MultipartError):
            MultipartReader({"Content-Type": "multipart/mixed; boundary=" + "x" * 71}, s)

    asyncio.run(main())
