"""``Response(text=...)``, ``json_response(...)`` and ``Response(body=...)`` make their headers'
multidict only when someone asks for it (``framework/response_short``): every way off the short
path, and every read of ``headers``, must find the headers the constructor set, as if they had
been made at once, and a response sent on the short path must end with the same ``headers`` as
one sent by the general path."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from aioweb import web


def _made(make: Callable[[], web.Response]) -> list[tuple[str, str]]:
    """The headers of a fresh response, read at once (made by the first read)."""
    return list(make().headers.items())


MAKERS: dict[str, Callable[[], web.Response]] = {
    "text": lambda: web.Response(text="hello"),
    "text_html": lambda: web.Response(text="<p>", content_type="text/html"),
    "charset": lambda: web.Response(text="é", charset="latin-1"),
    "json": lambda: web.json_response({"a": 1}),
    "bytes": lambda: web.Response(body=b"\x00"),
    "bytes_typed": lambda: web.Response(body=b"x", content_type="image/png"),
    "empty": lambda: web.Response(),
}

# What each constructor puts in ``headers`` (None: no Content-Type), and what goes on the wire.
TYPES: dict[str, tuple[str | None, str | None]] = {
    "text": ("text/plain; charset=utf-8", "text/plain; charset=utf-8"),
    "text_html": ("text/html; charset=utf-8", "text/html; charset=utf-8"),
    "charset": ("text/plain; charset=latin-1", "text/plain; charset=latin-1"),
    "json": ("application/json; charset=utf-8", "application/json; charset=utf-8"),
    "bytes": (None, "application/octet-stream"),
    "bytes_typed": ("image/png", "image/png"),
    "empty": (None, None),  # (an empty body has no type)
}

# Each way off the short path, done on a response nobody asked the headers of.
LEAVES: dict[str, Callable[[web.Response], object]] = {
    "set_status": lambda r: r.set_status(202),
    "force_close": lambda r: r.force_close(),
    "chunked": lambda r: r.enable_chunked_encoding(),
    "cookie": lambda r: r.set_cookie("k", "v"),
    "cookies_read": lambda r: r.cookies,
    "del_cookie": lambda r: r.del_cookie("k"),
    "compression": lambda r: r.enable_compression(),
    "payload": lambda r: setattr(r, "body", io.BytesIO(b"file")),
    "text_set": lambda r: setattr(r, "text", "other"),
    "content_type_set": lambda r: setattr(r, "content_type", "text/csv"),
    "charset_read": lambda r: r.charset,
    "content_length_read": lambda r: r.content_length,
}


@pytest.mark.parametrize("leave", sorted(LEAVES))
@pytest.mark.parametrize("make", sorted(MAKERS))
def test_leaving_the_short_path_keeps_the_constructors_headers(make, leave):
    lazy, eager = MAKERS[make](), MAKERS[make]()
    eager.headers  # noqa: B018  (made now: the reference)
    for response in (lazy, eager):
        LEAVES[leave](response)
    assert list(lazy.headers.items()) == list(eager.headers.items())
    assert lazy.headers is lazy.headers  # one mapping, kept


@pytest.mark.parametrize("make", sorted(MAKERS))
def test_headers_read_twice_are_one_mapping_with_the_constructors_fields(make):
    response = MAKERS[make]()
    headers = response.headers
    assert response.headers is headers
    assert list(headers.items()) == _made(MAKERS[make])


@pytest.mark.parametrize("make", sorted(MAKERS))
def test_the_constructors_content_type(make):
    assert MAKERS[make]().headers.get("Content-Type") == TYPES[make][0]


async def test_the_content_type_sent(aiohttp_client):
    async def handler(request: web.Request) -> web.Response:
        return MAKERS[request.match_info["make"]]()

    app = web.Application()
    app.router.add_get("/{make}", handler)
    client = await aiohttp_client(app)
    for make in MAKERS:
        response = await client.get(f"/{make}")
        assert response.headers.get("Content-Type") == TYPES[make][1], make


def test_an_http_exception_made_lazily_is_still_both():
    error = web.HTTPNotFound(text="gone")
    assert isinstance(error, Exception) and isinstance(error, web.Response)
    assert list(error.headers.items()) == [("Content-Type", "text/plain; charset=utf-8")]
    assert str(error) == "Not Found"


class _OwnHead(web.Response):
    """A subclass building its own head reads ``_headers`` there: they exist from the start."""

    def _build_head(self, request):  # type: ignore[no-untyped-def]
        self._headers["X-Own"] = "1"
        return super()._build_head(request)


async def test_subclasses_send_the_same_fields(aiohttp_client):
    class Plain(web.Response):
        pass

    kept: dict[str, web.Response] = {}

    async def handler(request: web.Request) -> web.Response:
        response = {"own": _OwnHead, "plain": Plain}[request.match_info["kind"]](text="sub")
        kept[request.match_info["kind"]] = response
        return response

    app = web.Application()
    app.router.add_get("/{kind}", handler)
    client = await aiohttp_client(app)
    for kind in ("own", "plain"):
        response = await client.get(f"/{kind}")
        assert await response.text() == "sub"
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert (response.headers.get("X-Own") == "1") == (kind == "own")
        names = list(kept[kind].headers)
        own = ["X-Own"] if kind == "own" else []
        assert names == ["Content-Type", *own, "Content-Length", "Date", "Server"]


async def test_headers_read_after_the_short_path_sent_them(aiohttp_client):
    """Read only after sending: made then, the sent fields after the constructor's."""
    kept: dict[str, web.Response] = {}

    async def handler(request: web.Request) -> web.Response:
        kept["r"] = web.json_response({"a": 1})
        return kept["r"]

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert await response.json() == {"a": 1}
    sent = kept["r"].headers
    assert list(sent) == ["Content-Type", "Content-Length", "Date", "Server"]
    assert sent["Content-Type"] == "application/json; charset=utf-8"
    assert sent["Date"] == response.headers["Date"]
