"""The hostile inputs of issue 11, as exact bytes, each with what a hardened server must answer.

``probes.py`` sends each case over a raw socket to ``bench/apps/robust_app.py`` on aioweb and on
aiohttp.  A case is either bytes written at once or a coroutine that writes them slowly; its
``check`` judges the outcome (responses, how the connection ended, how long it took), and the
runner adds "the server still answers a normal request afterwards" to every verdict.
Names are stable: they are the rows of the results table.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from robust_app import APP_JS, SECRET

HOST = b"Host: 127.0.0.1\r\n"
SLOW_CAP = 12.0  # seconds a slow-client probe may last
SLOW_LIMIT = 10.0  # issue 11 item 2: each slow client is closed within this
SHOWN_GROWTH = 4 << 20  # a probe that raised the server's peak RSS this much says so
BOMB = 16 << 20  # what the gzip part inflates to; bounded memory stays well under it


@dataclass
class Response:
    status: int
    line: str
    headers: dict[str, str]
    body: bytes
    complete: bool = True

    @property
    def final(self) -> bool:
        """Not an interim 1xx (101 Switching Protocols ends the HTTP exchange: it counts)."""
        return self.status >= 200 or self.status == 101


@dataclass
class Outcome:
    """What one probe saw on its connection."""

    responses: list[Response] = field(default_factory=list)
    end: str = "open"  # closed | reset | timeout (no full answer by the cap) | open (kept alive)
    seconds: float = 0.0  # from the first byte sent to the close/reset, or to the cap
    alive: bool = True  # a normal request succeeded afterwards
    down: bool = False  # the server process had exited (it was restarted)
    log_errors: int = 0  # tracebacks / fatal errors the server logged meanwhile
    peak_growth: int = 0  # growth of the server's RSS high-water mark during the probe
    raw: bytes = b""

    @property
    def final(self) -> Response | None:
        """The first final response."""
        return next((r for r in self.responses if r.final), None)

    @property
    def status(self) -> int | None:
        return self.final.status if self.final else None

    def cell(self, bodies: bool = False) -> str:
        """The table cell; ``bodies`` adds the start of each 2xx body (to explain a FAIL)."""
        lines = []
        for r in self.responses:
            text = r.line.split(" ", 2)[1] if r.status else repr(r.line[:20])
            if bodies and 200 <= r.status < 300:
                text += f" {r.body[:24]!r}" + ("…" if len(r.body) > 24 else "")
            lines.append(text)
        parts = [", ".join(lines)] if lines else []
        parts.append(f"{self.end} {self.seconds:.2f}s" if self.end != "open" else "kept open")
        if SECRET in self.raw:
            parts.append("**LEAKED SECRET**")
        if self.peak_growth >= SHOWN_GROWTH:
            parts.append(f"peak RSS +{self.peak_growth / 2**20:.0f} MiB")
        if self.log_errors:
            parts.append(f"{self.log_errors} traceback(s) logged")
        if self.down:
            parts.append("**SERVER DIED**")
        elif not self.alive:
            parts.append("**no longer answers**")
        return " · ".join(parts)


Sender = Callable[[asyncio.StreamWriter], Awaitable[None]]
Check = Callable[[Outcome], bool]


@dataclass
class Case:
    name: str
    item: str  # the item number
    send: bytes | Sender
    expect: str  # human-readable expectation (for aioweb)
    check: Check
    responses: int = 1  # complete (non-1xx) responses to wait for before ending early
    cap: float = 5.0  # seconds before the probe gives up (end = "timeout")


def status_in(*codes: int) -> Check:
    return lambda o: o.status in codes


BAD_REQUEST = status_in(400)


def bounded(check: Check, limit: int) -> Check:
    """``check``, and the server's peak RSS grew by less than ``limit`` bytes meanwhile."""
    return lambda o: check(o) and o.peak_growth < limit


def is_4xx(o: Outcome) -> bool:
    return o.status is not None and 400 <= o.status < 500


def body_is(status: int, body: bytes) -> Check:
    return lambda o: o.final is not None and o.status == status and o.final.body == body


# --------------------------------------------------------------------------- item 1: static


def get(path: str, *extra: bytes) -> bytes:
    return f"GET {path} HTTP/1.1\r\n".encode() + HOST + b"".join(extra) + b"\r\n"


def no_leak_plain_or_4xx(o: Outcome) -> bool:
    """Serve the plain file (no Content-Encoding) or refuse as for the plain path."""
    if SECRET in o.raw or o.final is None:
        return False
    if o.status in (403, 404):
        return True
    return o.status == 200 and o.final.body == APP_JS and "content-encoding" not in o.final.headers


def no_leak_4xx(o: Outcome) -> bool:
    return SECRET not in o.raw and o.status in (403, 404)


SAME = "same as the row above (no existence oracle)"
OUTSIDE = "403/404, nothing served"
# name -> (path, extra header, expectation); every one resolves outside the static root.
STATIC_OUTSIDE: dict[str, tuple[str, bytes, str]] = {
    "static dir symlink on the way (linkdir/secret.txt, gzip)": (
        "/static/linkdir/secret.txt",
        b"Accept-Encoding: gzip\r\n",
        OUTSIDE,
    ),
    "static dir symlink on the way, missing file": ("/static/linkdir/missing.txt", b"", SAME),
    "static symlink to public-private/ (root + suffix)": ("/static/sneaky.txt", b"", OUTSIDE),
    "static symlink to missing file in public-private/": ("/static/gone.txt", b"", SAME),
    "static %2e%2e/public-private/secret.txt": (
        "/static/%2e%2e/public-private/secret.txt",
        b"",
        OUTSIDE,
    ),
    "static %2e%2e/public-private/missing.txt": (
        "/static/%2e%2e/public-private/missing.txt",
        b"",
        SAME,
    ),
    "static ../public-private/secret.txt (raw dots)": (
        "/static/../public-private/secret.txt",
        b"",
        OUTSIDE,
    ),
    "static %2f..%2fpublic-private%2fsecret.txt": (
        "/static/%2f..%2fpublic-private%2fsecret.txt",
        b"",
        OUTSIDE,
    ),
}


def static_cases() -> list[Case]:
    sibling = "200 plain app.js (no Content-Encoding) or 403/404; never the outside file"
    cases = [
        Case(
            "static plain app.js (control)",
            "1",
            get("/static/app.js"),
            "200 app.js",
            body_is(200, APP_JS),
        ),
    ]
    for coding in ("gzip", "br", "zstd"):
        accept = f"Accept-Encoding: {coding}\r\n".encode()
        name = f"static app.js, {coding} sibling symlinks outside"
        cases.append(Case(name, "1", get("/static/app.js", accept), sibling, no_leak_plain_or_4xx))
    for name, (path, extra, expect) in STATIC_OUTSIDE.items():
        cases.append(Case(name, "1", get(path, extra), expect, no_leak_4xx))
    return cases


# Pairs whose answers must not differ (derived rows in the table).
ORACLE_PAIRS = [
    (
        "static dir symlink on the way (linkdir/secret.txt, gzip)",
        "static dir symlink on the way, missing file",
    ),
    (
        "static symlink to public-private/ (root + suffix)",
        "static symlink to missing file in public-private/",
    ),
    ("static %2e%2e/public-private/secret.txt", "static %2e%2e/public-private/missing.txt"),
]


# --------------------------------------------------------------------------- item 3: parser


def post(path: str, body: bytes, *extra: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\n".encode() + HOST + b"".join(extra)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def chunked_post(path: str, chunks: bytes, *extra: bytes) -> bytes:
    head = f"POST {path} HTTP/1.1\r\n".encode() + HOST + b"".join(extra)
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks


def parser_cases() -> list[Case]:
    many = b"".join(b"X-Filler-%d: v\r\n" % i for i in range(500))
    huge_ext = b"1;ext=" + b"a" * 100_000 + b"\r\nx\r\n0\r\n\r\n"
    tiny_chunks = b"".join(b"1;e=" + b"b" * 16_384 + b"\r\nx\r\n" for _ in range(200))
    te = b"POST /echo HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: %s\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    return [
        Case(
            "variable route, wrong method (405 + Allow; control)",
            "6",
            b"POST /user/42 HTTP/1.1\r\n" + HOST + b"Content-Length: 0\r\n\r\n",
            "405 with Allow: GET",
            lambda o: (
                o.status == 405 and "GET" in (o.final.headers.get("allow", "") if o.final else "")
            ),
        ),
        Case(
            "500 header fields", "3", get("/", many), "431 (count limit ~100)", status_in(431, 400)
        ),
        Case(
            "500 trailer fields",
            "3",
            chunked_post("/echo", b"5\r\nhello\r\n0\r\n" + many + b"\r\n"),
            "431/400 (limit applies to trailers)",
            status_in(431, 400),
        ),
        Case(
            "one chunk extension of 100 kB",
            "3",
            chunked_post("/echo", huge_ext),
            "400 (extension length bounded)",
            is_4xx,
        ),
        Case(
            "200 one-byte chunks with 16 KiB extensions each",
            "3",
            chunked_post("/echo", tiny_chunks + b"0\r\n\r\n"),
            "4xx (extension bytes bounded)",
            is_4xx,
        ),
        Case(
            "request line GET  / (two spaces)",
            "3",
            b"GET  / HTTP/1.1\r\n" + HOST + b"\r\n",
            "400",
            status_in(400),
        ),
        Case(
            "request line GET /  HTTP/1.1 (two spaces)",
            "3",
            b"GET /  HTTP/1.1\r\n" + HOST + b"\r\n",
            "400",
            status_in(400),
        ),
        Case(
            "absolute-form target vs Host",
            "3",
            b"GET http://a.example/host HTTP/1.1\r\nHost: b.example\r\n\r\n",
            "200 a.example (authority wins)",
            body_is(200, b"a.example"),
        ),
        Case(
            "Transfer-Encoding: Chunked", "3", te % b"Chunked", "200 hello", body_is(200, b"hello")
        ),
        Case(
            "Transfer-Encoding: CHUNKED", "3", te % b"CHUNKED", "200 hello", body_is(200, b"hello")
        ),
    ]


# --------------------------------------------------------------------------- item 4: multipart

CD = b'Content-Disposition: form-data; name="a"\r\n'
CD_FILE = b'Content-Disposition: form-data; name="f"; filename="f.txt"\r\n'


def multipart_bodies() -> dict[str, tuple[bytes, str, Check]]:
    """name -> (body with boundary ``XyZ``, expectation, check)."""

    def cl_part(value: bytes) -> bytes:
        return b"--XyZ\r\n" + CD + b"Content-Length: " + value + b"\r\n\r\nvalue\r\n--XyZ--\r\n"

    headers = b"".join(b"X-H-%d: v\r\n" % i for i in range(5000))
    bomb = gzip.compress(b"\0" * BOMB, 9)
    bodies = {
        "part Content-Length exceeds body": (
            b"--XyZ\r\n" + CD + b"Content-Length: 1000\r\n\r\nshort\r\n--XyZ--\r\n",
            "400",
            BAD_REQUEST,
        ),
        "missing final boundary": (b"--XyZ\r\n" + CD + b"\r\nvalue\r\n--XyZ", "400", BAD_REQUEST),
        "part headers never end": (b"--XyZ\r\n" + CD + b"X-More: y\r\n", "400", BAD_REQUEST),
        "truncated mid-part": (b"--XyZ\r\n" + CD_FILE + b"\r\nhalf of a fi", "400", BAD_REQUEST),
        "only a boundary": (b"--XyZ\r\n", "400", BAD_REQUEST),
        "only preamble garbage": (b"this is not multipart at all\r\n", "400", BAD_REQUEST),
        "5000 part header lines": (
            b"--XyZ\r\n" + CD + headers + b"\r\nvalue\r\n--XyZ--\r\n",
            "400 (bounded)",
            BAD_REQUEST,
        ),
    }
    for label, value in [
        ("+5", b"+5"),
        ("-1", b"-1"),
        ("1_0", b"1_0"),
        ("0x5", b"0x5"),
        ("U+0665 (Arabic-Indic 5)", "\u0665".encode()),
    ]:
        bodies[f"part Content-Length {label}"] = (cl_part(value), "400", BAD_REQUEST)
    bodies["gzip part inflating to 16 MiB (> client_max_size)"] = (
        b"--XyZ\r\n" + b'Content-Disposition: form-data; name="data"\r\n'
        b"Content-Encoding: gzip\r\n\r\n" + bomb + b"\r\n--XyZ--\r\n",
        f"413, peak RSS grows < {BOMB // 2 >> 20} MiB",
        bounded(status_in(413), BOMB // 2),
    )
    return bodies


def nested_multipart(depth: int) -> bytes:
    """``depth`` levels of ``multipart/mixed`` inside a form-data part."""
    inner = b"--b%d\r\n" % depth + CD + b"\r\nleaf\r\n--b%d--\r\n" % depth
    for level in range(depth - 1, -1, -1):
        inner = (
            b"--b%d\r\n" % level
            + CD
            + b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level + 1)
            + inner
            + b"\r\n--b%d--\r\n" % level
        )
    return inner


def multipart_cases() -> list[Case]:
    ctype = b"Content-Type: multipart/form-data; boundary=XyZ\r\n"
    valid = (
        b"--XyZ\r\n"
        + CD
        + b"\r\nvalue\r\n--XyZ\r\n"
        + CD_FILE
        + b"Content-Type: text/plain\r\n\r\nfile content\r\n--XyZ--\r\n"
    )
    cases = [
        Case(
            "POST /form valid multipart (control)",
            "4",
            post("/form", valid, ctype),
            "200",
            status_in(200),
        ),
        Case(
            "POST /upload valid multipart (control)",
            "4",
            post("/upload", valid, ctype),
            "200",
            status_in(200),
        ),
    ]
    for name, (body, expect, check) in multipart_bodies().items():
        for path, how in (("/form", "post()"), ("/upload", "multipart()")):
            cases.append(
                Case(
                    f"{how}: {name}",
                    "4",
                    post(path, body, ctype),
                    expect,
                    check,
                    cap=10.0,
                )
            )
    return cases


# --------------------------------------------------------------------------- item 7: fuzz finds


UPGRADE_ON_ECHO = (
    b"POST /echo HTTP/1.1\r\n" + HOST + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Content-Length: 5\r\n\r\nhello" + get("/user/7")
)
WS_HANDSHAKE = (
    b"GET /ws HTTP/1.1\r\n" + HOST + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def upgrade_ok(o: Outcome) -> bool:
    """The body reached the handler (or a 4xx), and the pipelined request was answered."""
    finals = [r for r in o.responses if r.final]
    if len(finals) < 2:
        return False
    first, second = finals[0], finals[1]
    first_ok = (first.status == 200 and first.body == b"hello") or 400 <= first.status < 500
    return first_ok and second.status == 200 and second.body == b"user 7"


def fuzz_cases() -> list[Case]:
    cases = [
        Case("WebSocket handshake on /ws (control)", "7", WS_HANDSHAKE, "101", status_in(101)),
        Case(
            "Upgrade: websocket to POST /echo + pipelined GET",
            "7",
            UPGRADE_ON_ECHO,
            "200 hello (or 4xx), then 200 user 7",
            upgrade_ok,
            responses=2,
        ),
    ]
    for target in (b"http://127.0.0.1:99999/plain", b"http://a:b@/plain", b"http://[:99999/plain"):
        cases.append(
            Case(
                f"absolute-form {target.decode()}",
                "7",
                b"GET " + target + b" HTTP/1.1\r\n" + HOST + b"\r\n",
                "400",
                status_in(400),
            )
        )
    ctype = b"Content-Type: multipart/form-data; boundary=b0\r\n"
    cases += [
        Case(
            "Content-Length: 9223372036854775807 + body",
            "7",
            b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 9223372036854775807\r\n\r\nhello",
            "413",
            status_in(413),
        ),
        Case(
            "290 nested multipart/mixed, post()",
            "7",
            post("/form", nested_multipart(290), ctype),
            "400",
            status_in(400),
        ),
        Case(
            "non-ASCII byte in Expect",
            "7",
            b"POST /echo HTTP/1.1\r\n" + HOST + b"Expect: 100-contin\xe9ue\r\n"
            b"Content-Length: 5\r\n\r\nhello",
            "417",
            status_in(417),
        ),
        Case(
            "handler: failing assert (eager path)", "7", get("/boom-assert"), "500", status_in(500)
        ),
        Case(
            "handler: BaseException subclass (eager path)",
            "7",
            get("/boom-base"),
            "500",
            status_in(500),
        ),
    ]
    return cases


# --------------------------------------------------------------------------- item 2: slow clients


def slow_silent() -> Sender:
    async def send(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(SLOW_CAP + 1)

    return send


def slow_dribble(head: bytes, piece: Callable[[int], bytes] | None) -> Sender:
    """Write ``head``, then ``piece(i)`` every half second (or nothing more if None)."""

    async def send(writer: asyncio.StreamWriter) -> None:
        writer.write(head)
        await writer.drain()
        i = 0
        while piece is not None:
            await asyncio.sleep(0.5)
            writer.write(piece(i))
            await writer.drain()
            i += 1
        await asyncio.sleep(SLOW_CAP + 1)

    return send


def closed_in_time(o: Outcome) -> bool:
    return o.end in ("closed", "reset") and o.seconds <= SLOW_LIMIT


def slow_cases() -> list[Case]:
    expect = f"closed within {SLOW_LIMIT:.0f} s (a 408 first is fine)"
    return [
        Case(name, "2", send, expect, closed_in_time, responses=99, cap=SLOW_CAP)
        for name, send in [
            ("slow: connects, sends nothing", slow_silent()),
            ("slow: sends GET / and stops", slow_dribble(b"GET / HTTP/1.1\r\n" + HOST, None)),
            (
                "slow: one header line every 0.5 s",
                slow_dribble(b"GET / HTTP/1.1\r\n" + HOST, lambda i: b"X-Drip-%d: y\r\n" % i),
            ),
            (
                "slow: body 1 byte every 0.5 s (CL 100000)",
                slow_dribble(
                    b"POST /echo HTTP/1.1\r\n" + HOST + b"Content-Length: 100000\r\n\r\n",
                    lambda i: b"x",
                ),
            ),
        ]
    ]


def fast_cases() -> list[Case]:
    """Every case that runs one at a time (all but the slow clients)."""
    return [*static_cases(), *parser_cases(), *multipart_cases(), *fuzz_cases()]
