"""Forms and multipart on a real server, with httpx and aiohttp's client as the senders.

Covers request.post() for url-encoded and multipart forms (FileField), the streaming
request.multipart() API (the seed's mp3 handler as written), nested multipart,
Content-Transfer-Encoding and Content-Encoding of parts, MultipartWriter responses read back
by aiohttp's own MultipartReader, limits (413) and malformed bodies (400, never a hang).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import hashlib
import io
import json
import os
from pathlib import Path

import aiohttp
import httpx
import pytest
from bodies_util import parse_response, raw_request, run, serve
from multidict import CIMultiDict

from aioweb import web
from aioweb.framework.multipart import MultipartWriter

pytestmark = pytest.mark.timeout(90)


def form_app(tmp: Path | None = None, client_max_size: int = 1024**2) -> web.Application:
    async def post(request: web.Request) -> web.Response:
        data = await request.post()
        out: dict[str, object] = {}
        for key, value in data.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                out.setdefault(key, []).append(  # type: ignore[union-attr]
                    {
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "sha": hashlib.sha256(content).hexdigest(),
                        "size": len(content),
                        "disposition": value.headers.get("Content-Disposition", ""),
                    }
                )
            elif isinstance(value, bytes):
                out.setdefault(key, []).append({"bytes": value.hex()})  # type: ignore[union-attr]
            else:
                out.setdefault(key, []).append(value)  # type: ignore[union-attr]
        return web.json_response(out)

    async def store_mp3_handler(request: web.Request) -> web.Response:
        # The seed's handler, as written (cheat sheet), with the spool dir as a parameter.
        assert tmp is not None
        reader = await request.multipart()
        field = await reader.next()
        assert field.name == "name"
        name = await field.read(decode=True)
        field = await reader.next()
        assert field.name == "mp3"
        filename = field.filename
        size = 0
        with open(os.path.join(tmp, filename), "wb") as f:
            while True:
                chunk = await field.read_chunk()  # 8192 bytes by default.
                if not chunk:
                    break
                size += len(chunk)
                f.write(chunk)
        return web.Response(
            text=f"{filename} sized of {size} successfully stored ({name.decode()})"
        )

    async def walk(request: web.Request) -> web.Response:
        reader = await request.multipart()
        out = []
        async for part in reader:
            if isinstance(part, web.MultipartReader):
                inner = []
                async for sub in part:
                    inner.append([sub.filename, (await sub.read(decode=True)).decode()])
                out.append({"nested": inner})
            elif part.headers.get("Content-Type", "").startswith("application/json"):
                out.append({"json": await part.json()})
            elif part.headers.get("Content-Type", "") == "application/x-www-form-urlencoded":
                out.append({"form": await part.form()})
            else:
                out.append({"name": part.name, "text": await part.text()})
        return web.json_response(out)

    async def mixed_response(request: web.Request) -> web.Response:
        with MultipartWriter("mixed") as mp:
            mp.append("hello")
            mp.append_json({"a": [1, 2]})
            part = mp.append(b"\x00\x01binary", {"Content-Type": "application/octet-stream"})
            part.set_content_disposition("attachment", filename="b.bin")
        return web.Response(body=mp)

    app = web.Application(client_max_size=client_max_size)
    app.router.add_post("/form", post)
    app.router.add_post("/mp3", store_mp3_handler)
    app.router.add_post("/walk", walk)
    app.router.add_get("/mixed", mixed_response)
    return app


def test_urlencoded_and_multipart_with_httpx() -> None:
    async def main() -> None:
        async with serve(form_app()) as base, httpx.AsyncClient() as client:
            r = await client.post(f"{base}/form", data={"a": "1", "b": "ünïcode", "c": ""})
            assert r.json() == {"a": ["1"], "b": ["ünïcode"], "c": [""]}
            blob = os.urandom(300_000)
            r = await client.post(
                f"{base}/form",
                data={"title": "héllo", "n": "2"},
                files=[
                    ("upload", ("photo.png", blob, "image/png")),
                    ("upload", ("notes.txt", b"text file", "text/plain")),
                ],
            )
            got = r.json()
            assert got["title"] == ["héllo"] and got["n"] == ["2"]
            assert [f["filename"] for f in got["upload"]] == ["photo.png", "notes.txt"]
            assert got["upload"][0]["sha"] == hashlib.sha256(blob).hexdigest()
            assert got["upload"][0]["content_type"] == "image/png"
            assert got["upload"][1]["size"] == 9

    run(main())


def test_multipart_with_aiohttp_formdata() -> None:
    async def main() -> None:
        async with serve(form_app()) as base, aiohttp.ClientSession() as session:
            form = aiohttp.FormData()
            form.add_field("field", "value")
            form.add_field("file", io.BytesIO(b"abc" * 1000), filename="ñandú €.txt",
                           content_type="text/plain")  # fmt: skip
            form.add_field("raw", io.BytesIO(b"\x00\xff"), content_type="application/octet-stream")
            async with session.post(f"{base}/form", data=form) as resp:
                assert resp.status == 200
                got = await resp.json()
            assert got["field"] == ["value"]
            # aiohttp's client percent-encodes non-ASCII file names (and aiohttp's server hands
            # them on as sent); browsers and httpx send UTF-8, which arrives decoded.
            assert got["file"][0]["filename"] == "%C3%B1and%C3%BA%20%E2%82%AC.txt"
            assert got["file"][0]["size"] == 3000
            assert got["raw"][0]["filename"] == "raw"  # aiohttp names file fields after the key
            assert got["raw"][0]["size"] == 2
            # a part with a non-text type and no filename stays bytes
            mp = MultipartWriter("form-data")
            mp.append(
                b"\x00\xff", {"Content-Type": "application/octet-stream"}
            ).set_content_disposition("form-data", name="blob")
            async with session.post(
                f"{base}/form", data=mp.as_bytes(), headers={"Content-Type": mp.content_type}
            ) as resp:
                assert await resp.json() == {"blob": [{"bytes": "00ff"}]}

    run(main())


def test_seed_mp3_handler_as_written(tmp_path: Path) -> None:
    async def main() -> None:
        song = os.urandom(2 * 1024 * 1024 + 3)
        async with serve(form_app(tmp_path)) as base, httpx.AsyncClient() as client:
            r = await client.post(
                f"{base}/mp3",
                data={"name": "Yarrr"},
                files={"mp3": ("song.mp3", song, "audio/mpeg")},
            )
            assert r.status_code == 200, r.text
            assert r.text == f"song.mp3 sized of {len(song)} successfully stored (Yarrr)"
        assert (tmp_path / "song.mp3").read_bytes() == song

    run(main())


def test_seed_handler_with_a_chunked_upload(tmp_path: Path) -> None:
    """'You cannot rely on Content-Length if transfer is chunked': stream it chunked."""

    async def main() -> None:
        song = os.urandom(1_000_003)
        boundary = "XyZzY"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nChunky\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="mp3"; filename="c.mp3"\r\n'
                "Content-Type: audio/mpeg\r\n\r\n"
            ).encode()
            + song
            + f"\r\n--{boundary}--\r\n".encode()
        )

        async def gen():  # type: ignore[no-untyped-def]
            for i in range(0, len(body), 7777):
                yield body[i : i + 7777]

        async with serve(form_app(tmp_path)) as base, httpx.AsyncClient() as client:
            r = await client.post(
                f"{base}/mp3",
                content=gen(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
            assert r.status_code == 200, r.text
            assert "c.mp3 sized of 1000003" in r.text
        assert (tmp_path / "c.mp3").read_bytes() == song

    run(main())


def test_nested_json_form_and_encodings() -> None:
    async def main() -> None:
        inner = MultipartWriter("mixed")
        inner.append("first file", {"Content-Disposition": 'attachment; filename="1.txt"'})
        inner.append(
            base64.b64encode("second €".encode()),
            {
                "Content-Disposition": 'attachment; filename="2.txt"',
                "Content-Type": "text/plain; charset=utf-8",
                "Content-Transfer-Encoding": "base64",
            },
        )
        outer = MultipartWriter("form-data")
        outer.append_json({"k": [1, "two"]})
        outer.append_form([("x", "1"), ("y", "a b")])
        outer.append(inner)
        p = outer.append(
            gzip.compress(b"gzipped text"),
            {"Content-Encoding": "gzip", "Content-Type": "text/plain"},
        )
        p.set_content_disposition("form-data", name="gz")
        p = outer.append(b"caf=C3=A9 qp", {"Content-Transfer-Encoding": "quoted-printable"})
        p.set_content_disposition("form-data", name="qp")
        headers = {"Content-Type": outer.content_type}
        async with (
            serve(form_app()) as base,
            aiohttp.ClientSession() as session,
            session.post(f"{base}/walk", data=outer.as_bytes(), headers=headers) as resp,
        ):
            assert resp.status == 200, await resp.text()
            got = await resp.json()
        assert got == [
            {"json": {"k": [1, "two"]}},
            {"form": [["x", "1"], ["y", "a b"]]},
            {"nested": [["1.txt", "first file"], ["2.txt", "second €"]]},
            {"name": "gz", "text": "gzipped text"},
            {"name": "qp", "text": "café qp"},
        ]

    run(main())


def test_part_content_encoding_on_two_lines_is_one_list() -> None:
    """A part's two Content-Encoding lines are one list (RFC 9110 §5.3), undone in order,
    for the streaming reader (``/walk``) and for ``request.post()`` (``/form``)."""
    import brotli

    async def main() -> None:
        writer = MultipartWriter("form-data")
        part = writer.append(
            brotli.compress(gzip.compress(b"two codings")),
            CIMultiDict(
                [("Content-Encoding", "gzip"), ("Content-Encoding", "br"),
                 ("Content-Type", "text/plain")]
            ),
        )  # fmt: skip
        part.set_content_disposition("form-data", name="twice")
        headers = {"Content-Type": writer.content_type}
        async with serve(form_app()) as base, httpx.AsyncClient() as client:
            walked = await client.post(f"{base}/walk", content=writer.as_bytes(), headers=headers)
            assert walked.json() == [{"name": "twice", "text": "two codings"}]
            posted = await client.post(f"{base}/form", content=writer.as_bytes(), headers=headers)
            assert posted.json() == {"twice": ["two codings"]}

    run(main())


def test_multipart_writer_response_read_by_aiohttp() -> None:
    async def main() -> None:
        async with (
            serve(form_app()) as base,
            aiohttp.ClientSession() as session,
            session.get(f"{base}/mixed") as resp,
        ):
            assert resp.status == 200
            assert resp.content_type == "multipart/mixed"
            assert int(resp.headers["Content-Length"]) > 0
            reader = aiohttp.MultipartReader.from_response(resp)
            parts = []
            while (part := await reader.next()) is not None:
                parts.append(
                    (part.headers.get("Content-Type"), part.filename, bytes(await part.read()))
                )
        assert parts == [
            ("text/plain; charset=utf-8", None, b"hello"),
            ("application/json", None, b'{"a": [1, 2]}'),
            ("application/octet-stream", "b.bin", b"\x00\x01binary"),
        ]

    run(main())


def test_client_max_size_gives_413() -> None:
    async def main() -> None:
        async with serve(form_app(client_max_size=100_000)) as base, httpx.AsyncClient() as client:
            r = await client.post(f"{base}/form", files={"f": ("a.bin", os.urandom(200_000))})
            assert r.status_code == 413
            r = await client.post(f"{base}/form", data={"a": "x" * 200_000})
            assert r.status_code == 413

            # chunked (no Content-Length): still stopped at the limit
            async def gen():  # type: ignore[no-untyped-def]
                yield b'--b\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'
                for _ in range(50):
                    yield b"z" * 10_000
                yield b"\r\n--b--\r\n"

            r = await client.post(
                f"{base}/form",
                content=gen(),
                headers={"Content-Type": "multipart/form-data; boundary=b"},
            )
            assert r.status_code == 413
            r = await client.post(f"{base}/form", data={"ok": "yes"})
            assert r.json() == {"ok": ["yes"]}

    run(main())


MALFORMED_BODIES = [
    b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end',
    b"garbage without any boundary",
    b"--b\r\nbroken header line\r\n\r\nx\r\n--b--\r\n",
    b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",  # no name
    b"--bb\r\n\r\n\r\n--b--\r\n",
    b"--b\r\n" + b"X: y\r\n" * 1000 + b"\r\nx\r\n--b--\r\n",
    b'--b\r\nContent-Disposition: form-data; name="a"\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--b--\r\n',
    b"",
]


@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_malformed_multipart_is_400_not_a_hang(body: bytes) -> None:
    async def main() -> None:
        async with serve(form_app()) as base:
            request = (
                b"POST /form HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Content-Type: multipart/form-data; boundary=b\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status, _, text = parse_response(await raw_request(base, request, timeout=10))
            assert status == 400, text
            # the server is still healthy
            async with httpx.AsyncClient() as client:
                assert (await client.post(f"{base}/form", data={"a": "1"})).status_code == 200

    run(main())


def test_bad_content_type_for_multipart() -> None:
    async def main() -> None:
        async with serve(form_app()) as base, httpx.AsyncClient() as client:
            r = await client.post(
                f"{base}/form", content=b"x", headers={"Content-Type": "multipart/form-data"}
            )
            assert r.status_code == 400  # no boundary
            r = await client.post(
                f"{base}/walk", content=b"x", headers={"Content-Type": "text/plain"}
            )
            assert r.status_code == 400  # not multipart at all

    run(main())


def test_disconnect_mid_upload_does_not_hurt_server(tmp_path: Path) -> None:
    async def main() -> None:
        async with serve(form_app(tmp_path)) as base:
            _, writer = await asyncio.open_connection("127.0.0.1", int(base.rsplit(":", 1)[1]))
            writer.write(
                b"POST /mp3 HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
                b"Content-Type: multipart/form-data; boundary=b\r\n\r\n"
                b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n'
                b'--b\r\nContent-Disposition: form-data; name="mp3"; filename="cut.mp3"\r\n\r\n'
                + b"y"
                * 100_000
            )
            await writer.drain()
            await asyncio.sleep(0.2)
            writer.transport.abort()
            await asyncio.sleep(0.2)
            async with httpx.AsyncClient() as client:
                r = await client.post(f"{base}/form", data={"still": "alive"})
                assert r.json() == {"still": ["alive"]}

    run(main())


def test_json_part_roundtrip_helpers() -> None:
    mp = MultipartWriter("form-data", boundary="fixed")
    mp.append_json({"x": 1})
    assert mp.size == len(mp.as_bytes())
    assert json.loads(mp.as_bytes().split(b"\r\n\r\n")[1].split(b"\r\n")[0]) == {"x": 1}
    with pytest.raises(ValueError):
        MultipartWriter("mixed", boundary="bad\r\nboundary")
    with pytest.raises(ValueError):
        mp.append("x", {"X-Evil": "a\r\nb"})


def test_too_many_fields_is_413() -> None:
    """client_max_fields (1000 by default): past it a 413 with aiohttp 3.14's text."""

    async def main() -> None:
        async with serve(form_app()) as base, httpx.AsyncClient() as client:
            fields = {f"k{i}": "v" for i in range(1000)}
            r = await client.post(f"{base}/form", files={"f": ("a.txt", b"x")}, data=fields)
            assert r.status_code == 413  # 1001 parts
            assert r.text == "Maximum number of form fields 1000 exceeded."
            r = await client.post(f"{base}/form", files={"f": ("a.txt", b"x")}, data={"a": "1"})
            assert r.status_code == 200

    run(main())
