"""Responses: ``StreamResponse`` (headers, then a body written piece by piece) and
``Response`` (a body known up front).  ``json_response`` is in ``json_response.py``; the
cookie jar, the representation fields and the content codings are mixins beside this module.

A response is a one-shot state machine: ``prepare`` fixes the status line and headers (kept
back until the first body bytes so that both leave in one write), ``write`` sends body
pieces, ``write_eof`` ends the message.  It cannot be sent twice.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, istr

from aioweb.framework import response_body as _rare  # non-bytes bodies, hooks, mocked writers
from aioweb.framework.helpers import DictStorage, HttpVersion10, HttpVersion11, ResponseKey
from aioweb.framework.response_coding import CompressionMixin, Compressor, ContentCoding
from aioweb.framework.response_cookies import CookiesMixin
from aioweb.framework.response_fields import BodyFieldsMixin, RepresentationFieldsMixin
from aioweb.framework.response_short import (
    PlainState,
    add_fields,
    end_plain_version,
    expose_fields,
    finish_short,
    leave_short,
    make_headers,
    new_state,
    plain_version,
    set_headers,
    short_head,
    start_short,
)
from aioweb.http.writer import (
    LAST_CHUNK,
    encode_chunk,
    http_date_now,
    reason_phrase,
    serialize_head,
    status_line,
)

if TYPE_CHECKING:
    from http.cookies import SimpleCookie

    from aioweb.framework.request import BaseRequest

__all__ = ["ContentCoding", "Response", "StreamResponse"]

CONTENT_TYPE = istr("Content-Type")
CONTENT_LENGTH = istr("Content-Length")
TRANSFER_ENCODING = istr("Transfer-Encoding")
SERVER_SOFTWARE_HEADER = "Server"
# istr keys are case-folded once, here, instead of on every lookup
DATE = istr("Date")
SERVER = istr(SERVER_SOFTWARE_HEADER)
CONNECTION = istr("Connection")

_EMPTY_BODY_STATUSES = frozenset({204, 304})


# Bodies from this size up are written after their head instead of being copied behind it.
_JOIN_LIMIT = 16 * 1024


class StreamResponse(DictStorage, CookiesMixin, CompressionMixin, RepresentationFieldsMixin):
    """A response whose body is written in pieces after ``await prepare(request)``.

    The mixins hold what the hot path does not run: cookies, compression, the typed fields.
    """

    _key_type = ResponseKey  # typed key of ``response[key]`` storage (others warn)

    # Per-response state starts at these class-level (immutable) defaults and is stored on
    # the instance only when it changes: most responses never touch most of it, and a dozen
    # attribute stores per response are a measurable part of a small request's cost.
    _status = 200
    _reason: str | None = None
    _body: bytes | None = None
    _cookies: SimpleCookie | None = None
    _req: BaseRequest | None = None
    _writer: Any = None
    _head: bytes | None = None  # status line + headers, not yet sent
    _eof_sent = False
    _keep_alive: bool | None = None
    _chunked = False
    _no_body = False
    _compression = False
    _compression_force: str | None = None
    _compressor: Compressor | None = None
    _body_length = 0
    _state: dict[str, Any] | None = None
    _length_check = -1
    _payload: Any = None  # Response's body when it is not bytes (framework/response_body.py)
    # Response's short path (response_short), or None: ended by anything the short head does
    # not write (cookies, compression, chunking, a forced close).  See Response.finish_now.
    _short: PlainState | None = None
    # The headers; None only while a short path's state holds their one field (made by
    # response_short.make_headers on the first read of ``headers`` or off the short path).
    _hdrs: CIMultiDict[str] = None  # type: ignore[assignment]

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        # (Response.__init__ inlines these three for text responses: keep both in step.)
        self._hdrs: CIMultiDict[str] = CIMultiDict(headers) if headers else CIMultiDict()
        self._status = status if type(status) is int else int(status)
        if reason is not None:
            _rare.check_reason(reason)
        self._reason = reason

    # -- status ------------------------------------------------------------------------

    @property
    def prepared(self) -> bool:
        return self._eof_sent or self._writer is not None

    @property
    def eof_sent(self) -> bool:
        """The response is complete on the wire (the server refuses to send it again)."""
        return self._eof_sent

    def finish_now(self, request: BaseRequest) -> bool:
        """The server's fast path (see ``Response.finish_now``): a stream has none."""
        return False

    @property
    def task(self) -> Any:
        return self._req.task if self._req is not None else None

    @property
    def status(self) -> int:
        return self._status

    @property
    def reason(self) -> str:
        if self._reason is None:
            return reason_phrase(self._status)
        return self._reason

    def set_status(self, status: int, reason: str | None = None) -> None:
        if self.prepared:
            raise RuntimeError(
                "Cannot change the response status code after the headers have been sent"
            )
        if reason is not None:
            _rare.check_reason(reason)
        self._status = int(status)
        self._reason = reason
        leave_short(self)  # (the short path is for the constructor's status)

    @property
    def keep_alive(self) -> bool | None:
        return self._keep_alive

    def force_close(self) -> None:
        self._keep_alive = False
        leave_short(self)  # (each of these changes ends Response's short path)

    @property
    def body_length(self) -> int:
        return self._body_length

    @property
    def chunked(self) -> bool:
        return self._chunked

    def enable_chunked_encoding(self, chunk_size: int | None = None) -> None:
        if chunk_size is not None:
            warnings.warn("Chunk size is deprecated #1615", DeprecationWarning, stacklevel=2)
        self._chunked = True
        leave_short(self)
        if CONTENT_LENGTH in self._hdrs:
            raise RuntimeError("You can't enable chunked encoding when a content length is set")

    # -- headers -----------------------------------------------------------------------

    @property
    def headers(self) -> CIMultiDict[str]:
        state = self._short
        if state is not None:
            # Made now if they were not; sent on the short path: the fields it sent join now,
            # else when it is sent.
            return expose_fields(self, state)
        return self._hdrs

    # The mixins and other modules read ``_headers``: the same fields (this module, _hdrs).
    _headers = property(headers.fget, set_headers)  # type: ignore[attr-defined]

    # -- sending -----------------------------------------------------------------------

    async def prepare(self, request: BaseRequest) -> Any:
        """Fix the status line and headers for ``request``; returns the connection writer."""
        if self._eof_sent:
            return None
        if self._writer is not None:
            return _rare.prepared_writer(self._writer)
        if request._prepare_hook is None and type(self)._start is StreamResponse._start:
            # Nothing to await (no on_response_prepare signal): skip a coroutine.
            self._req = request
            writer = self._writer = request._protocol
            self._head = self._build_head(request)
            return writer
        return await self._start(request)

    async def _start(self, request: BaseRequest) -> Any:
        self._req = request
        writer = self._writer = request._protocol
        hook = request._prepare_hook
        head = self._build_head(request)
        if hook is not None:  # the on_response_prepare signals (see response_body.py)
            return await _rare.run_prepare_hook(self, request, hook, head)
        self._head = head
        return writer

    def _build_head(self, request: BaseRequest) -> bytes:
        headers = self._hdrs
        version = request.version
        http11 = version >= HttpVersion11
        status = self._status
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = request.keep_alive
        self._no_body = request._method == "HEAD" or status in _EMPTY_BODY_STATUSES or status < 200
        if status < 200 and status != 101:
            # A 1xx is interim: sent as the final response, the client would go on waiting
            # for another one (and read the next response as this request's answer).
            raise ValueError(f"{status} is an interim status, not a final response")
        if self._cookies:
            for morsel in self._cookies.values():
                headers.add("Set-Cookie", morsel.OutputString())
        if self._compression:
            self._start_compression(request)
        if not self._chunked and TRANSFER_ENCODING in headers:
            # Framing is the server's job: a hand-set Transfer-Encoding would contradict the
            # bytes actually sent (e.g. "chunked" next to Content-Length and a raw body).
            # "chunked" is taken as enable_chunked_encoding(); any other coding is dropped.
            wants_chunked = "chunked" in headers.popall(TRANSFER_ENCODING)[-1].lower()
            if wants_chunked and http11 and not self._no_body:
                self._chunked = True
        if self._chunked:
            if not http11:
                raise RuntimeError(
                    f"Using chunked encoding is forbidden for HTTP/{version[0]}.{version[1]}"
                )
            headers[TRANSFER_ENCODING] = "chunked"
            headers.pop(CONTENT_LENGTH, None)
        else:
            length = headers.get(CONTENT_LENGTH)
            if length is not None:
                if status < 200 or status == 204:
                    del headers[CONTENT_LENGTH]
                else:
                    self._length_check = int(length)
            elif not self._no_body:
                if http11:
                    self._chunked = True
                    headers[TRANSFER_ENCODING] = "chunked"
                else:
                    keep_alive = False  # the body ends when the connection does
        if (
            status not in _EMPTY_BODY_STATUSES
            and status >= 200
            and self._length_check != 0  # an empty body has no type (RFC 9110 §8.3)
            and CONTENT_TYPE not in headers
        ):
            headers[CONTENT_TYPE] = "application/octet-stream"
        if DATE not in headers:
            headers[DATE] = http_date_now()
        if SERVER not in headers:
            headers[SERVER] = request._protocol.server_header
        connection = headers.get(CONNECTION)
        if connection is None:
            if keep_alive:
                if version == HttpVersion10:
                    headers[CONNECTION] = "keep-alive"
            elif http11:
                headers[CONNECTION] = "close"
        elif connection.lower() == "close":
            keep_alive = False
        self._keep_alive = keep_alive
        return serialize_head(
            status_line("1.1" if http11 else "1.0", status, self._reason), headers.items()
        )

    def _frame(self, data: bytes, last: bool) -> bytes:
        """Body bytes as they go on the wire, with the pending head in front."""
        compressor = self._compressor
        if compressor is not None:
            data = compressor.compress(data)
            if last:
                data += compressor.flush()
        if self._no_body:
            data = b""
        elif self._chunked:
            framed = encode_chunk(data) if data else b""
            data = framed + LAST_CHUNK if last else framed
        head = self._head
        if head is not None:
            self._head = None
            if len(data) < _JOIN_LIMIT:
                return head + data
            # A large body is not copied behind its head: the head goes first, on its own
            # (the connection sends both with one writev while it batches).
            self._writer.write(head)
        return data

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._eof_sent:
            raise RuntimeError("Cannot call write() after write_eof()")
        writer = self._writer
        if writer is None:
            raise RuntimeError("Cannot call write() before prepare()")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        if not data:
            return
        data = bytes(data)
        if self._length_check >= 0 and not self._no_body:
            data = self._within_length(data)
            if not data:
                return
        self._body_length += len(data)
        out = self._frame(data, False)
        if out:
            writer.write(out)
        if writer.writing_paused:
            await writer.drain()

    def _within_length(self, data: bytes) -> bytes:
        """``data`` cut to what Content-Length still allows (as aiohttp does).

        Bytes past the announced length would be read by the client as the start of the
        next response on the connection (a desync a handler echoing input could exploit).
        """
        room = self._length_check - self._body_length
        return data if len(data) <= room else data[: max(room, 0)]

    async def drain(self) -> None:
        """Deprecated, as in aiohttp (``await resp.write()`` waits for the transport)."""
        await _rare.drain_deprecated(self)

    async def write_eof(self, data: bytes = b"") -> None:
        if self._eof_sent:
            return
        writer = self._send_eof(data)
        if writer.writing_paused:
            await writer.drain()
        self._writer = None
        self._eof_sent = True

    def _send_eof(self, data: bytes) -> Any:
        """Send the last body bytes (and the head, if still pending); returns the writer.

        Synchronous, so that ``write_eof`` awaits only when the transport asks it to drain.
        """
        writer = self._writer
        if writer is None:
            raise RuntimeError("Response has not been started")
        if self._length_check >= 0 and not self._no_body:
            if data:
                data = self._within_length(bytes(data))
            if self._body_length + len(data) < self._length_check:
                # Fewer bytes than Content-Length announced: the client would read the next
                # response as the rest of this body, so this connection must end here.
                self._keep_alive = False
        if data:
            self._body_length += len(data)
        out = self._frame(bytes(data), True)
        self._eof_sent = True
        if out:
            writer.write(out)
        return writer

    def __repr__(self) -> str:
        return _rare.describe(self)


class Response(StreamResponse, BodyFieldsMixin):
    """A response whose whole body is given up front (``body=`` bytes or ``text=``)."""

    _finishes_now = True  # see finish_now; recomputed for each subclass
    _plain_builds_head = True  # _build_head is this class's: its responses get a PlainState

    def __init__(
        self,
        *,
        body: Any = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
        charset: str | None = None,
        zlib_executor_size: int | None = None,
        zlib_executor: Any = None,
    ) -> None:
        if (
            headers is None
            and (type(self) is Response or self._plain_builds_head)
            and start_short(self, body, text, status, reason, content_type, charset)
        ):
            # The common ``Response(text=...)``, ``json_response(...)``, ``Response(body=...)``
            # made on the short path (response_short), without the headers' multidict until
            # someone asks for it; False: not that simple, nothing done, the general code.
            return
        if body is not None and text is not None:
            raise ValueError("body and text are not allowed together")
        super().__init__(status=status, reason=reason, headers=headers)
        hdrs = self._hdrs
        if text is not None:
            if CONTENT_TYPE in hdrs:
                if content_type or charset:
                    raise ValueError(
                        "passing both Content-Type header and content_type or charset params is forbidden"
                    )
            else:
                if not isinstance(text, str):
                    raise TypeError(f"text argument must be str ({type(text)!r})")
                if content_type is not None and "charset" in content_type:
                    raise ValueError("charset must not be in content_type argument")
                charset = charset or "utf-8"
                hdrs[CONTENT_TYPE] = f"{content_type or 'text/plain'}; charset={charset}"
            self._body = text.encode(charset or self.charset or "utf-8")
        else:
            if CONTENT_TYPE in hdrs:
                if content_type is not None or charset is not None:
                    raise ValueError(
                        "passing both Content-Type header and content_type or charset params is forbidden"
                    )
            elif content_type is not None:
                if charset is not None:
                    content_type += f"; charset={charset}"
                hdrs[CONTENT_TYPE] = content_type
            self.body = body
        if headers is None and self._payload is None and self._plain_builds_head:
            # The headers are exactly what this constructor set: while they stay so (the
            # version moves with any change), the head is built without looking them up.
            self._short = new_state(hdrs, hdrs.get(CONTENT_TYPE), self._status, reason)

    _plain_version = property(plain_version, end_plain_version)  # (see response_short)

    @property
    def content_length(self) -> int | None:
        if self._chunked:
            return None
        hdrs = self._hdrs  # (None: not made yet, so no Content-Length in them)
        if hdrs is not None and CONTENT_LENGTH in hdrs:
            return int(hdrs[CONTENT_LENGTH])
        if self._compressor is not None:
            return None
        if self._payload is not None:  # compressed or no body: not the payload's size
            status = self._status
            if self._compression or status in _EMPTY_BODY_STATUSES or status < 200:
                return None
            return self._payload.size  # type: ignore[no-any-return]
        return len(self._body) if self._body is not None else 0

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        raise RuntimeError("Content length is set automatically")

    def _build_head(self, request: BaseRequest) -> bytes:
        head = self._plain_head(request)
        if head is not None:
            return head
        body = self._body
        headers = self._hdrs
        if self._compression and body:
            self._start_compression_whole(request)
            body = self._body
        if self._payload is not None:
            _rare.payload_head(self)  # (a payload's size, when known, is its Content-Length)
        elif not self._chunked and CONTENT_LENGTH not in headers:
            status = self._status
            if status in _EMPTY_BODY_STATUSES or status < 200:
                pass  # no body, and a 304's length would be the 200's, not this one's
            elif body is not None or request._method != "HEAD":
                headers[CONTENT_LENGTH] = str(len(body)) if body is not None else "0"
        return super()._build_head(request)

    def _plain_head(self, request: BaseRequest) -> bytes | None:
        """The head of a 1.1 response whose headers are still those its constructor set, or
        ``None`` when the response is not that simple (then ``_build_head`` does the work).

        The result is what the general path (``StreamResponse._build_head``) would build,
        fields in the same order, and ``headers`` gets the same fields added (here at once:
        the response was prepared, its writer may be used; ``finish_now`` adds them later).
        """
        state = self._short
        if state is None:
            return None
        head = short_head(state, self._body, request, request._protocol)
        if head is None:
            leave_short(self)  # (the headers made: the general path reads them)
            return None
        self._short = None  # (from here on the general state is the truth)
        make_headers(self, state)
        add_fields(state)
        self._keep_alive = state.keep_alive
        self._no_body = False
        self._length_check = state.length
        return head

    def finish_now(self, request: BaseRequest) -> bool:
        """``prepare(request)`` then ``write_eof()``, without their coroutines, when neither
        has anything to await: no ``on_response_prepare`` signal, no subclass overriding a
        step, not started yet.  False means: nothing was done, await them as usual.  The
        server calls this and waits for the transport to drain itself when it must.
        """
        state = self._short
        if (
            state is not None
            and request._prepare_hook is None
            and (type(self) is Response or self._finishes_now)
        ):
            # The short path (response_short): a response untouched since its constructor.
            body = self._body
            protocol = request._protocol
            head = short_head(state, body, request, protocol)
            if head is None:  # (HEAD, HTTP/1.0, changed headers: the general path)
                leave_short(self)
            else:
                self._req = request
                self._keep_alive = state.keep_alive
                self._body_length = state.length
                finish_short(state, head, body, protocol)
                self._eof_sent = True
                return True
        if not self._finishes_now or request._prepare_hook is not None:
            return False
        if self._writer is not None or self._eof_sent:
            return False
        self._req = request
        writer = self._writer = request._protocol
        head = self._build_head(request)  # (not the short one: that was tried above)
        body = self._body  # (compressed by now, when compression is on)
        length = len(body) if body is not None else 0
        if (
            self._length_check != length
            or self._compressor is not None
            or self._chunked
            or self._no_body
        ):
            self._head = head
            self._send_eof(body if body is not None else b"")
        else:  # what _send_eof would send, without its general checks: the head, the body
            self._body_length = length
            if not length:
                writer.write(head)
            elif length < _JOIN_LIMIT:
                writer.write(head + body)  # type: ignore[operator]  # (length > 0: a body)
            else:
                writer.write(head)
                writer.write(body)
        self._writer = None
        self._eof_sent = True
        return True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._finishes_now = (
            cls.prepare is StreamResponse.prepare
            and cls._start is StreamResponse._start
            and cls.write_eof is Response.write_eof
        )
        cls._plain_builds_head = cls._build_head is Response._build_head

    async def write_eof(self, data: bytes = b"") -> None:
        if self._eof_sent:
            return
        if self._payload is not None:
            await _rare.send_payload(self)
            return
        body = self._body
        # StreamResponse.write_eof, inlined: one coroutine fewer per response.
        writer = self._send_eof(body if body and not data else (body or b"") + data)
        if writer.writing_paused:
            await writer.drain()
        self._writer = None
        self._eof_sent = True
