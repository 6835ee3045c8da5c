"""Bounded, reproducible fuzzing of the HTTP/1.1 request parser (issue 11, item 8).

Inputs: the seeds in ``corpus/parser/`` (well-formed requests, and the smuggling shapes of
the CL.TE / TE.CL / TE.TE families, bad chunk framing, obs-fold, bare CR/LF, double spaces,
bad absolute-form targets, too many fields...), requests assembled from hostile parts by
hypothesis, and byte-level mutations of the seeds.  Hypothesis is derandomized with no example
database, so every run tries the same examples.

Asserted for every input:

* ``RequestParser.feed`` raises nothing but :class:`HttpProtocolError` (each subclass carries
  the 4xx/5xx the server answers with), and never hangs (a per-example deadline);
* the outcome does not depend on how the bytes are split into reads;
* the outcome agrees with h11's on accept/reject and on the requests parsed (method, target,
  body: where two parsers disagree on a body's end, a request is smuggled), unless the input
  has a feature listed in :data:`DIFFERENCES`, the deliberate differences, each with its
  reason and an example that :func:`test_each_difference_is_real` checks.

The whole file runs in about 15 seconds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioweb.http.errors import HttpProtocolError
from aioweb.http.parser import RequestHead, RequestParser

pytestmark = pytest.mark.timeout(120)

CORPUS_DIR = Path(__file__).parent / "corpus" / "parser"
CORPUS = {p.stem: p.read_bytes() for p in sorted(CORPUS_DIR.glob("*.http"))}

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=timedelta(seconds=2),  # a hang fails the example; 2 s leaves room for a busy box
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Request = tuple[str, bytes, bytes]  # method, target, body


@dataclass
class Outcome:
    accepted: bool
    requests: list[Request] = field(default_factory=list)
    status: int | None = None
    closed: bool = False  # (h11) stopped after a request that closes the connection


# -- the two parsers ------------------------------------------------------------------------


class _Sink:
    def __init__(self) -> None:
        self.heads: list[RequestHead] = []
        self.bodies: list[bytearray] = []
        self.complete = 0

    def on_message_begin(self) -> None:
        pass

    def on_head(self, head: RequestHead) -> None:
        self.heads.append(head)
        self.bodies.append(bytearray())

    def on_body(self, chunk: bytes) -> None:
        self.bodies[-1] += chunk

    def on_message_complete(self) -> None:
        self.complete += 1


def aioweb_parse(raw: bytes, cuts: tuple[int, ...] = ()) -> Outcome:
    """Feed ``raw`` (cut at ``cuts``) until the end, an error or a protocol switch."""
    sink = _Sink()
    parser = RequestParser(sink)
    points = sorted({c for c in cuts if 0 < c < len(raw)} | {0, len(raw)})
    status = None
    try:
        for start, end in itertools.pairwise(points):
            if parser.feed(raw[start:end]) is not None:
                break  # switched protocols: the rest is not HTTP/1.1
    except HttpProtocolError as exc:
        status = exc.status
    done = [
        (h.method, h.url, bytes(b))
        for h, b in zip(sink.heads[: sink.complete], sink.bodies, strict=False)
    ]
    if status is not None and sink.complete and not sink.heads[sink.complete - 1].keep_alive:
        # bytes after a request that closes the connection are never served: llhttp refuses
        # them, h11 stops reading; the same outcome.
        return Outcome(True, done)
    return Outcome(status is None, done, status)


def h11_parse(raw: bytes) -> Outcome:
    """h11 as a server fed ``raw`` (answering each request, so pipelining goes on)."""
    conn = h11.Connection(h11.SERVER)
    if not raw:
        return Outcome(True)  # (h11 takes b"" for the end of the stream)
    conn.receive_data(raw)
    done: list[Request] = []
    current: list = []
    try:
        for _ in range(len(raw) + 2):  # (each event consumes a byte or ends the loop)
            event = conn.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                break
            if isinstance(event, h11.Request):
                current = [event.method.decode("ascii"), bytes(event.target), b""]
            elif isinstance(event, h11.Data):
                current[2] += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                done.append(tuple(current))
                if conn.their_state is h11.MIGHT_SWITCH_PROTOCOL:
                    break
                conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                conn.send(h11.EndOfMessage())
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    return Outcome(True, done, closed=True)  # no keep-alive after this one
                conn.start_next_cycle()
            else:
                raise AssertionError(f"unexpected h11 event {event!r}")
    except h11.RemoteProtocolError:
        return Outcome(False, done)
    return Outcome(True, done)


# -- deliberate differences from h11 --------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    reason: str
    example: bytes
    applies: Callable[[bytes], bool]


def _has(pattern: bytes, flags: int = 0) -> Callable[[bytes], bool]:
    compiled = re.compile(pattern, flags)
    return lambda raw: compiled.search(raw) is not None


def _head_lines(raw: bytes) -> list[bytes]:
    return re.split(rb"\r?\n", raw)


_METHODS = rb"(?:GET|HEAD|POST|PUT|DELETE|CONNECT|OPTIONS|TRACE|PATCH)"
_VALID_HOST = re.compile(rb"(?:\[[0-9A-Za-z:.%_~-]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")

#: Where aioweb and h11 deliberately disagree.  ``applies`` recognises the feature in an
#: input (over-approximating is fine: it only excuses a disagreement).  The reasons are
#: repeated in docs/compat.md ("Request parsing").
DIFFERENCES: dict[str, Difference] = {
    "bare LF": Difference(
        "Lines must end in CRLF. RFC 9112 §2.2 lets a recipient accept a bare LF; h11 does, "
        "llhttp (strict) does not, and a front proxy that does not would frame differently.",
        b"GET / HTTP/1.1\nHost: x\n\n",
        _has(rb"(?<!\r)\n"),
    ),
    "obs-fold": Difference(
        "A folded header line is a 400 (RFC 9112 §5.2 allows rejecting it); h11 unfolds it.",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
        _has(rb"\n[ \t]"),
    ),
    "methods": Difference(
        "Only registered methods, upper case (llhttp's table): an unknown or lower-case "
        "method is a 400; h11 takes any token.",
        b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda raw: any(
            re.fullmatch(_METHODS, method) is None
            for method in re.findall(rb"(?:^|\n)\r?([^ \t\r\n]*)[ \t][^\r\n]*HTTP/", raw)
        ),
    ),
    "empty lines before a request": Difference(
        "Empty lines before a request line are ignored (RFC 9112 §2.2: a server SHOULD "
        "ignore at least one); h11 refuses them.",
        b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda raw: raw[:1] in (b"\r", b"\n") or b"\r\n\r\n\r\n" in raw or b"\n\n" in raw,
    ),
    "Transfer-Encoding in HTTP/1.0": Difference(
        "A 1.0 request with Transfer-Encoding is a 400 (RFC 9112 §6.1: faulty framing, the "
        "server must close); h11 reads it as chunked.",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        _has(rb"HTTP/1\.0\r?\n(?:.*\n)*?transfer-encoding", re.IGNORECASE),
    ),
    "Content-Length with Transfer-Encoding": Difference(
        "Both fields together are a 400 (RFC 9112 §6.1 allows it; the classic CL.TE/TE.CL "
        "smuggling shape); h11 lets Transfer-Encoding win.",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
        b"\r\n0\r\n\r\n",
        lambda raw: (
            re.search(rb"content-length", raw, re.I) is not None
            and re.search(rb"transfer-encoding", raw, re.I) is not None
        ),
    ),
    "repeated Content-Length": Difference(
        "Content-Length sent twice or as a list, even with equal values, is a 400 (RFC 9110 "
        "§8.6 allows either); h11 accepts equal values.",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        lambda raw: (
            len(re.findall(rb"content-length", raw, re.I)) > 1
            or _has(rb"content-length:[^\r\n]*,", re.I)(raw)
        ),
    ),
    "Host value": Difference(
        "A Host value that is not uri-host[:port] is a 400 (RFC 9112 §3.2); h11 takes any "
        "field value.",
        b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
        lambda raw: any(
            _VALID_HOST.fullmatch(value) is None
            for value in re.findall(rb"\nhost:[ \t]*([^\r\n]*?)[ \t]*(?=\r?\n)", raw, re.I)
        ),
    ),
    "absolute-form target": Difference(
        "An absolute-form target must be http(s) with a valid authority (no userinfo, a "
        "host, a port up to 65535): its authority becomes the request's host (RFC 9112 "
        "§3.2.2), so it is checked (400); h11 takes any target.",
        b"GET http://a:99999/ HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda raw: any(not target.startswith(b"/") for target in _targets(raw)),
    ),
    "target form": Difference(
        "A target must have one of the four forms of RFC 9112 §3.2 (origin-form, "
        "absolute-form, authority-form for CONNECT, * for OPTIONS): llhttp refuses the rest "
        "(400); h11 takes any run of visible characters.",
        b"GET 1 HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda raw: any(not target.startswith(b"/") for target in _targets(raw)),
    ),
    "version": Difference(
        "Only HTTP/1.0 and 1.1: llhttp refuses other minor versions (400), 2.0 and 0.9 are a "
        "505; h11 takes any HTTP/x.y.",
        b"GET / HTTP/1.2\r\nHost: x\r\n\r\n",
        lambda raw: (
            re.search(rb"HTTP/(?!1\.[01]\r\n)", raw) is not None
            or re.search(rb"(?:^|\n)[A-Z]+ /[^ \r\n]*\r\n", raw) is not None
        ),  # (0.9)
    ),
    "whitespace in a chunk line": Difference(
        "Whitespace in a chunk-size line is a 400: after the size (not in the grammar) and "
        "also around ';' and '=' in an extension, which RFC 9112 §7.1.1 allows as BWS. That "
        "second half is llhttp's strictness, inherited (aiohttp's parser is the same); "
        "no client is known to send it. h11 skips both.",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n",
        _has(rb"\n[0-9A-Fa-f]+(?:[ \t]|;[^\r\n]*[ \t])"),
    ),
    "chunk extension grammar": Difference(
        "Chunk extensions are checked against the grammar (names are tokens, values tokens "
        "or quoted strings: 400 otherwise); h11 skips whatever follows ';'.",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;:\r\nabc\r\n0\r\n\r\n",
        _has(rb"\n[0-9A-Fa-f]+[^\r\n]*;"),
    ),
    "chunk size over 64 bits": Difference(
        "A chunk size that does not fit 64 bits is a 400 at once; h11 accepts it and waits "
        "for data that can never all come.",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
        _has(rb"\n0*[0-9A-Fa-f]{17,}"),
    ),
    "control characters in a field value": Difference(
        "Control characters other than HTAB (and DEL) in a field value are a 400 (RFC 9110 "
        "§5.5); h11 only refuses CR, LF and NUL.",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
        _has(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"),
    ),
    "protocol switch": Difference(
        "A request with Upgrade, or CONNECT: h11 stops at it; aioweb switches only to "
        "WebSocket and CONNECT, ignores other upgrades (h2c) and goes on with HTTP/1.1.",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        lambda raw: _has(rb"\nupgrade:", re.I)(raw) or b"CONNECT" in raw,
    ),
    "limits": Difference(
        "Limits differ: aioweb takes up to 100 header fields (trailers count too) and 256 KiB "
        "of head (431 past either), and 16 KiB of chunk extensions per body (400); h11 "
        "refuses any head or chunk line over 16 KiB.",
        b"GET / HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-%d: v\r\n" % i for i in range(120))
        + b"\r\n",
        lambda raw: raw.count(b"\n") > 100 or len(raw) > 16000,
    ),
    "bare CR": Difference(
        "A CR not followed by LF is a 400 at once (RFC 9112 §2.2 allows rejecting it); h11 "
        "waits for a line end that never comes.",
        b"GET / HTTP/1.1\r\nHost: x\r\r\n",
        _has(rb"\r(?!\n)"),
    ),
}


def _targets(raw: bytes) -> list[bytes]:
    """The second word of every line that looks like a request line."""
    return re.findall(rb"(?:^|\n)\r?[^ \t\r\n]*[ \t]+([^ \t\r\n]*)[^\r\n]*HTTP/", raw)


def _request_lines(raw: bytes) -> list[bytes]:
    """Lines that may be request lines: the first, and any line after an empty line."""
    lines = _head_lines(raw)
    found = [lines[0]] if lines else []
    found += [b for a, b in itertools.pairwise(lines) if a == b"" and b]
    return found


def explained(raw: bytes) -> list[str]:
    return [name for name, diff in DIFFERENCES.items() if diff.applies(raw)]


def check(raw: bytes, cuts: tuple[int, ...]) -> None:
    """The three properties of the module docstring, for one input."""
    ours = aioweb_parse(raw)
    assert ours.status is None or 400 <= ours.status < 600
    split = aioweb_parse(raw, cuts)
    assert split == ours, (raw, cuts)
    theirs = h11_parse(raw)
    if theirs.closed and len(ours.requests) >= len(theirs.requests):
        # h11 closes where aioweb may keep the connection (HTTP/1.0 keep-alive): what came
        # after is not compared
        ours = Outcome(True, ours.requests[: len(theirs.requests)])
    if theirs.accepted and not ours.accepted and ours.requests == theirs.requests:
        # aioweb refused a line h11 has not finished reading: h11's verdict once it ends
        theirs = Outcome(h11_parse(raw + b"\r\n\r\n").accepted, theirs.requests)
    if (ours.accepted, ours.requests) != (theirs.accepted, theirs.requests):
        assert explained(raw), (raw, ours, theirs)


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CORPUS)
def test_corpus(name: str) -> None:
    raw = CORPUS[name]
    check(raw, tuple(range(1, len(raw), 7)))
    check(raw, tuple(range(len(raw))))  # one byte per read


@pytest.mark.parametrize("name", DIFFERENCES)
def test_each_difference_is_real(name: str) -> None:
    """Each listed difference is one: on its example, aioweb and h11 disagree."""
    diff = DIFFERENCES[name]
    assert diff.applies(diff.example)
    ours, theirs = aioweb_parse(diff.example), h11_parse(diff.example)
    assert (ours.accepted, ours.requests) != (theirs.accepted, theirs.requests)


def test_well_formed_corpus_agrees_exactly() -> None:
    """The well-formed seeds need no excuse: same requests, same bodies."""
    for name in ("get-simple", "get-query-cookies", "post-content-length", "pipelined-three"):
        raw = CORPUS[name]
        ours, theirs = aioweb_parse(raw), h11_parse(raw)
        assert ours.accepted and ours == Outcome(True, theirs.requests), name


# Requests are built well-formed, then given up to two hostile twists (the smuggling shapes).

_GOOD_TARGETS = ["/", "/a/b?c=d", "/%20x", "/a#f", '/a"b', "*", "http://a.example/x"]
_BAD_TARGETS = ["http://a.example:99999/x", "http://u@a.example/x", "http://[::1/x", "ftp://a/x"]


def _twist(parts: dict, twist: str, pick: Callable[[list], object]) -> None:
    """Apply one hostile change to the parts of a request (see ``_request``)."""
    fields: list[str] = parts["fields"]
    if twist == "spaces":
        parts[pick(["sep1", "sep2"])] = pick(["  ", "\t", "   "])
    elif twist == "version":
        parts["version"] = pick(["HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "http/1.1", "HTTP/1.10"])
    elif twist == "method":
        parts["method"] = pick([parts["method"].lower(), "FOO", "GE T", ""])
    elif twist == "target":
        parts["target"] = pick([*_BAD_TARGETS, "/a b", "/a\x7fb", "/a\xffb"])
    elif twist == "host":
        fields[0] = pick(["Host: a b", "Host: a/b", "Host:", "Host: [::1", "X-Host: x"])
        if pick([0, 1]):
            fields.append("Host: y")
    elif twist == "transfer-encoding":
        value = pick(
            ["Chunked", "CHUNKED", "gzip, chunked", "chunked, gzip", "identity", " chunked",
             "chunked ", "\x0bchunked", "chunked,", "chunked, chunked", "xchunked"]
        )  # fmt: skip
        fields.append("Transfer-Encoding: " + value)
    elif twist == "content-length":
        value = pick(["+3", "3, 3", " 3", "03", "-1", "1_0", "3", "99999999999999999999999"])
        fields.append("Content-Length: " + value)
    elif twist == "field":
        fields.append(
            pick(["X-A: a\rb", "X-A: a\x01b", "X-A: a\x7fb", "X-A: \xe9", "X-A : v", ": v",
                  "X-A", "X-A: v  ", "X-A:\tv", "X\x00A: v"])
        )  # fmt: skip
    elif twist == "obs-fold":
        fields.append(pick(["X-A: a", "Transfer-Encoding: chunked"]))
        fields.append(pick([" b", "\tb", " chunked"]))
    elif twist == "line end":
        parts["eols"][pick(list(range(len(parts["eols"]))))] = pick(["\n", "\r", "\r\r\n"])
    elif twist == "chunk size":
        parts["size_format"] = pick(["0x{:x}", " {:x}", "{:x} ", "00{:x}", "{:X}", "{:x}\t"])
    elif twist == "chunk extension":
        parts["ext"] = pick([";a=b", ';a="q;r"', "; a=b", ";a", ";" + "e" * 200, ";a=\x01"])
    elif twist == "chunk data":
        parts["overrun"] = pick(["X", "", "\r"])
    elif twist == "trailers":
        parts["trailers"] = pick(["T: 1\r\n", "Content-Length: 5\r\n", "T\r\n", " T: 1\r\n"])
    elif twist == "body length":
        parts["extra"] = pick(["", "x", "GET / HTTP/1.1\r\n"])
    elif twist == "connection":
        fields.append(pick(["Connection: close", "Connection: keep-alive", "Connection: x"]))
    elif twist == "empty lines":
        parts["before"] = pick(["\r\n", "\r\n\r\n", "\n"])


_TWISTS = [
    "spaces", "version", "method", "target", "host", "transfer-encoding", "content-length",
    "field", "obs-fold", "line end", "chunk size", "chunk extension", "chunk data", "trailers",
    "body length", "connection", "empty lines",
]  # fmt: skip


@st.composite
def _request(draw: st.DrawFn) -> bytes:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    framing = "none" if method == "GET" else draw(st.sampled_from(["length", "chunked", "none"]))
    body = draw(st.binary(max_size=12)).replace(b"\r", b"").decode("latin-1")
    fields = ["Host: x", *draw(st.lists(st.sampled_from(["Accept: */*", "X-B: 1"]), max_size=2))]
    if framing == "length":
        fields.append(f"Content-Length: {len(body)}")
    elif framing == "chunked":
        fields.append("Transfer-Encoding: chunked")
    parts: dict = {
        "method": method,
        "sep1": " ",
        "target": draw(st.sampled_from(_GOOD_TARGETS)),
        "sep2": " ",
        "version": draw(st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"])),
        "fields": fields,
        "eols": ["\r\n"] * 8,
        "size_format": "{:x}",
        "ext": "",
        "overrun": "",
        "trailers": "",
        "extra": "",
        "before": "",
    }
    for twist in draw(st.lists(st.sampled_from(_TWISTS), max_size=2)):
        _twist(parts, twist, lambda options: draw(st.sampled_from(options)))
    eols = parts["eols"]
    line = parts["method"] + parts["sep1"] + parts["target"] + parts["sep2"] + parts["version"]
    head = parts["before"] + line + eols[0]
    head += "".join(f + eols[(i + 1) % 8] for i, f in enumerate(parts["fields"])) + eols[7]
    if framing == "chunked":
        pieces = [body[:5], body[5:]] if len(body) > 5 else [body] if body else []
        chunk = parts["size_format"] + parts["ext"] + "\r\n{}" + parts["overrun"] + "\r\n"
        body = "".join(chunk.format(len(p), p) for p in pieces)
        body += "0" + parts["ext"] + "\r\n" + parts["trailers"] + "\r\n"
    return (head + body + parts["extra"]).encode("latin-1")


@st.composite
def assembled(draw: st.DrawFn) -> bytes:
    """One to three requests, each well-formed but for up to two hostile twists."""
    return b"".join(draw(st.lists(_request(), min_size=1, max_size=3)))


@settings(FUZZ, max_examples=2500)
@given(assembled(), st.lists(st.integers(0, 400), max_size=4))
def test_assembled_requests(raw: bytes, cuts: list[int]) -> None:
    check(raw, tuple(cuts))


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for pos, op, piece in edits:
        pos %= len(buf) + 1
        if op == 0 and buf:
            del buf[pos : pos + len(piece)]
        elif op == 1:
            buf[pos:pos] = piece
        elif buf:
            buf[min(pos, len(buf) - 1)] = piece[0] if piece else 0
    return bytes(buf)


_PIECE = st.one_of(
    st.sampled_from(
        [b" ", b"  ", b"\r\n", b"\n", b"\r", b"\x00", b":", b";", b",", b"\t", b"0", b"\xff"]
    ),
    st.sampled_from([b"chunked", b"Content-Length: 3\r\n", b"Transfer-Encoding: chunked\r\n"]),
    st.binary(min_size=1, max_size=4),
)


@settings(FUZZ, max_examples=2500)
@given(
    st.sampled_from(sorted(CORPUS)),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 2), _PIECE), min_size=1, max_size=4),
    st.lists(st.integers(0, 2000), max_size=4),
)
def test_mutated_corpus(name: str, edits: list, cuts: list[int]) -> None:
    check(_mutate(CORPUS[name], edits), tuple(cuts))
