"""permessage-deflate (RFC 7692): negotiation and the per-connection (de)compressors.

A compressed message is a raw DEFLATE stream, flushed with Z_SYNC_FLUSH, whose trailing
``00 00 ff ff`` is stripped by the sender and appended again by the receiver (section 7.2).
With context takeover the LZ77 window carries over from one message to the next; the
``*_no_context_takeover`` parameters turn that off for one direction, and the
``*_max_window_bits`` parameters bound the window each side may use.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from aioweb.http.websocket.messages import WebSocketError, WSCloseCode

__all__ = [
    "DeflateParams",
    "PerMessageDeflate",
    "negotiate_deflate",
    "parse_extensions",
]

_TAIL = b"\x00\x00\xff\xff"

#: Idle compressors kept per window size for the next connection (about 260 KiB each with a
#: 15-bit window). See :class:`PerMessageDeflate`.
COMPRESSOR_POOL_SIZE = 64
_pool: dict[int, list[zlib._Compress]] = {}


def _take_compressor(bits: int) -> zlib._Compress:
    """A compressor for a raw DEFLATE stream with a ``bits`` window: an idle one when the
    pool has one (its history already forgotten), else a new one."""
    idle = _pool.get(bits)
    if idle:
        try:
            return idle.pop()
        except IndexError:  # another thread's loop took the last one
            pass
    return zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -bits)


def _return_compressor(bits: int, comp: zlib._Compress) -> None:
    """Park a compressor whose connection ended, after a full flush.

    A full flush makes zlib forget the window and the hash chains (nothing emitted later
    refers back past it), so the next connection's output depends on its own data only; the
    flush's own output (an empty stored block) belongs to no stream and is dropped.
    """
    idle = _pool.setdefault(bits, [])
    if len(idle) < COMPRESSOR_POOL_SIZE:
        comp.flush(zlib.Z_FULL_FLUSH)
        idle.append(comp)


@dataclass(frozen=True, slots=True)
class DeflateParams:
    """The agreed parameters of one connection, as the server sees them."""

    #: Window the server compresses with (``server_max_window_bits``).
    server_max_window_bits: int = 15
    #: Window the client may compress with; the server inflates with at least this.
    client_max_window_bits: int = 15
    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False

    def response_header(self, *, announce_client_bits: bool = False) -> str:
        """The ``Sec-WebSocket-Extensions`` value that accepts these parameters."""
        parts = ["permessage-deflate"]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits < 15:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if announce_client_bits and self.client_max_window_bits < 15:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)


def parse_extensions(header: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Split a ``Sec-WebSocket-Extensions`` value into ``[(name, [(param, value)])]``.

    Grammar (RFC 6455 section 9.1): a comma-separated list of extensions, each a token
    followed by ``;``-separated parameters ``token`` or ``token=value``, where the value may
    be a quoted string. Commas inside quoted strings do not split.
    """
    result: list[tuple[str, list[tuple[str, str | None]]]] = []
    for offer in _split_outside_quotes(header, ","):
        items = _split_outside_quotes(offer, ";")
        name = items[0].strip().lower()
        if not name:
            continue
        params: list[tuple[str, str | None]] = []
        for item in items[1:]:
            key, eq, value = item.partition("=")
            key = key.strip().lower()
            if not key:
                continue
            if eq:
                value = value.strip()
                if len(value) >= 2 and value[0] == value[-1] == '"':
                    value = value[1:-1]
                params.append((key, value))
            else:
                params.append((key, None))
        result.append((name, params))
    return result


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    if '"' not in text:
        return text.split(sep)
    parts: list[str] = []
    start = 0
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _window_bits(value: str | None) -> int | None:
    if value is None or not value.isdigit() or len(value) > 2:
        return None
    bits = int(value)
    return bits if 8 <= bits <= 15 else None


def negotiate_deflate(
    header: str | None, *, server_max_window_bits: int = 15, no_context_takeover: bool = False
) -> DeflateParams | None:
    """Pick the first acceptable permessage-deflate offer, or ``None`` to decline them all.

    An offer is declined (section 5, 7.1) when it repeats a parameter, names an unknown
    parameter, or gives a window size outside 8..15. A request for
    ``server_max_window_bits=8`` is also declined: zlib silently widens raw-deflate windows
    of 8 bits to 9, so we could not keep that promise. The server's own window
    ``server_max_window_bits`` (9..15) and ``no_context_takeover`` are applied on top.
    """
    if not header:
        return None
    server_bits = max(9, min(15, server_max_window_bits))
    for name, params in parse_extensions(header):
        if name != "permessage-deflate":
            continue
        seen: set[str] = set()
        ok = True
        s_bits = server_bits
        c_bits = 15
        s_nct = no_context_takeover
        c_nct = False
        for key, value in params:
            if key in seen:
                ok = False
                break
            seen.add(key)
            if key == "server_no_context_takeover" and value is None:
                s_nct = True
            elif key == "client_no_context_takeover" and value is None:
                c_nct = True
            elif key == "server_max_window_bits":
                bits = _window_bits(value)
                if bits is None or bits == 8:
                    ok = False
                    break
                s_bits = min(s_bits, bits)
            elif key == "client_max_window_bits":
                if value is not None:
                    bits = _window_bits(value)
                    if bits is None:
                        ok = False
                        break
                    c_bits = bits
            else:
                ok = False
                break
        if ok:
            return DeflateParams(
                server_max_window_bits=s_bits,
                client_max_window_bits=c_bits,
                server_no_context_takeover=s_nct,
                client_no_context_takeover=c_nct,
            )
    return None


class PerMessageDeflate:
    """Compressor and decompressor state for one connection.

    ``is_server`` picks which half of the parameters applies to outgoing messages. The
    decompressor always uses a 15-bit window: inflating with a larger window than the peer
    deflated with is always correct, so the peer's ``*_max_window_bits`` never matters here.

    Memory: each zlib context lives in C memory outside Python's allocator, about 260 KiB
    for a compressor with a 15-bit window and 40 KiB for a decompressor. Both are created
    on first use and dropped by :meth:`release` when the connection ends, so they never
    wait for the garbage collector to find the session (a session sits in reference
    cycles; under connection churn hundreds of dead sessions would hold their contexts
    until a full collection, and the freed blocks then fragment the C heap so RSS never
    comes back). A released compressor is reset and parked in a small pool
    (``COMPRESSOR_POOL_SIZE`` per window size) for the next connection, so steady churn
    allocates no new deflate state at all. Without context takeover the compressor is kept
    and reset with a full flush instead of being rebuilt for every message.
    """

    __slots__ = (
        "_compressor",
        "_decompressor",
        "_deflate_bits",
        "_deflate_reset",
        "_inflate_reset",
        "params",
    )

    def __init__(self, params: DeflateParams, *, is_server: bool = True) -> None:
        self.params = params
        if is_server:
            self._deflate_bits = params.server_max_window_bits
            self._deflate_reset = params.server_no_context_takeover
            self._inflate_reset = params.client_no_context_takeover
        else:
            self._deflate_bits = params.client_max_window_bits
            self._deflate_reset = params.client_no_context_takeover
            self._inflate_reset = params.server_no_context_takeover
        self._deflate_bits = max(9, self._deflate_bits)
        self._compressor: zlib._Compress | None = None
        self._decompressor: zlib._Decompress | None = None

    @property
    def live_contexts(self) -> int:
        """How many zlib contexts this connection holds right now (0, 1 or 2)."""
        return (self._compressor is not None) + (self._decompressor is not None)

    def release(self) -> None:
        """Free both zlib contexts now: the connection is over.

        Safe to call more than once; a later (de)compression would simply build a new
        context, but a closed connection neither sends nor receives.
        """
        comp = self._compressor
        self._compressor = None
        self._decompressor = None
        if comp is not None:
            _return_compressor(self._deflate_bits, comp)

    def compress(self, data: bytes) -> bytes:
        """Deflate one whole message payload."""
        comp = self._compressor
        if comp is None:
            comp = self._compressor = _take_compressor(self._deflate_bits)
        # Without context takeover, a full flush ends the message exactly as a sync flush
        # does (an empty stored block, the same 00 00 ff ff tail) and also forgets the
        # window, so no later message refers back into this one: the same context serves
        # the next message with no 260 KiB rebuilt per message.
        out = comp.compress(data) + comp.flush(
            zlib.Z_FULL_FLUSH if self._deflate_reset else zlib.Z_SYNC_FLUSH
        )
        if out.endswith(_TAIL):
            out = out[:-4]
        # An empty payload deflates to nothing once the tail is stripped; RFC 7692 7.2.3.6
        # suggests a single 0x00 byte in that case.
        return out or b"\x00"

    def decompress(self, data: bytes, max_size: int) -> bytes:
        """Inflate one whole message payload; ``max_size`` 0 means unlimited.

        The limit is enforced while inflating (``max_length``), so a small "zip bomb"
        frame never allocates more than ``max_size + 1`` bytes before failing with 1009.
        """
        dec = self._decompressor
        if dec is None or self._inflate_reset:
            dec = self._decompressor = zlib.decompressobj(-15)
        try:
            if max_size:
                out = dec.decompress(data + _TAIL, max_size + 1)
                if len(out) > max_size or dec.unconsumed_tail:
                    raise WebSocketError(
                        WSCloseCode.MESSAGE_TOO_BIG,
                        f"Decompressed message exceeds the limit of {max_size} bytes",
                    )
            else:
                out = dec.decompress(data + _TAIL)
        except zlib.error as exc:
            raise WebSocketError(
                WSCloseCode.PROTOCOL_ERROR, f"Invalid compressed data: {exc}"
            ) from None
        if dec.eof:
            # The peer ended the DEFLATE stream with a BFINAL block (RFC 7692 7.2.3.4 allows
            # it): its next message starts a new stream, which this context cannot read.
            self._decompressor = None
        return out
