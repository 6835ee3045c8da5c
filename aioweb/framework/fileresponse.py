"""``FileResponse``: a file from disk, with validators, conditionals, ranges and sendfile.

``FileResponse(path)`` behaves like aiohttp's, and goes further:

* ``ETag`` (strong, from mtime and size) and ``Last-Modified``; ``If-Match``,
  ``If-Unmodified-Since``, ``If-None-Match`` and ``If-Modified-Since`` evaluated in RFC 9110
  §13.2.2 order (304 / 412), then ranges, by the planner shared with GridFS
  (``aioweb.http.representation``, which also says which fields a 304/412/416 keeps).
* ``Range``: one range gives 206 with ``Content-Range``; several give 206
  ``multipart/byteranges`` (aiohttp sends the whole file); unsatisfiable gives 416 with
  ``Content-Range: bytes */N``; ``If-Range`` is honoured. See ``aioweb.http.ranges`` for the
  limits (16 ranges after coalescing, else the whole file is sent).
* Pre-compressed siblings: ``x.js.br`` / ``x.js.zst`` / ``x.js.gz`` are sent with
  ``Content-Encoding`` (br, zstd, gzip: the first one the client accepts, in that order) when
  the client accepts them, with ``Vary: Accept-Encoding`` whenever such a sibling exists.
  zstd is offered only this way: nothing is compressed with it on the fly.
* Sibling containment: a sibling is served only if it lies within a containment root, checked
  on its opened descriptor (``aioweb.framework.containment``), else it is treated as absent and the
  plain file is sent. Under ``add_static`` the root is the static directory (and the plain
  file is held to it too), unless ``follow_symlinks=True``, which checks nothing, as in
  aiohttp. A ``FileResponse`` built by application code has no static root: its root is the
  *plain file's real directory*, so ``x.js.gz -> /etc/passwd`` is never sent in place of
  ``x.js``, while siblings in the same directory as the real file (or below it) are. The
  plain file itself is the application's choice and is opened as named.
* The body leaves by zero-copy ``sendfile``: ``loop.sendfile`` on asyncio's loop; on uvloop
  (which has no ``loop.sendfile``) by ``os.sendfile`` on the connection's socket, waiting for
  writability on a duplicate of its descriptor. TLS and other transports fall back to reading
  ``chunk_size`` blocks. Files up to ``SMALL_FILE`` bytes are read and sent in the same write
  as the headers, which beats any sendfile for small files.

The file is opened once, with ``O_NONBLOCK`` so a FIFO cannot hang the server, and every
decision is taken from ``fstat`` of that open descriptor, so the bytes sent are those of the
file that was checked (no race between checking and opening). A file that shrinks while it
is being sent cannot be completed: the connection is closed rather than sending a short body.
"""

from __future__ import annotations

import asyncio
import errno
import os
import stat
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from aioweb.framework.containment import OutsideRoot, open_within, prove_within, realpath
from aioweb.framework.exceptions import HTTPForbidden, HTTPNotFound
from aioweb.framework.media_types import guess_type
from aioweb.framework.response import StreamResponse
from aioweb.http.content_coding import accepted_codings
from aioweb.http.content_coding import coding_accepted as _accepts
from aioweb.http.dates import format_http_date
from aioweb.http.etag import make_etag
from aioweb.http.ranges import MAX_RANGES, ByteRange
from aioweb.http.representation import Representation, plan_representation

if TYPE_CHECKING:
    from aioweb.framework.request import BaseRequest

__all__ = ["SMALL_FILE", "FileResponse", "guess_type", "sendfile"]

#: Files at most this large are read into memory and sent with the headers in one write.
SMALL_FILE: Final = 64 * 1024
#: A client that accepts no byte of a file for this long is disconnected.
SEND_TIMEOUT: Final = 60.0

#: Pre-compressed siblings, best first: (suffix, coding).
_SIBLINGS: Final = ((".br", "br"), (".zst", "zstd"), (".gz", "gzip"))


class _Opened:
    """An open representation of the file: descriptor, fstat and the coding chosen."""

    __slots__ = ("coding", "fd", "has_siblings", "st")

    def __init__(self, fd: int, st: os.stat_result, coding: str | None, has_siblings: bool):
        self.fd = fd
        self.st = st
        self.coding = coding
        self.has_siblings = has_siblings


class FileResponse(StreamResponse):
    """A response that sends a file from disk (aiohttp's ``web.FileResponse``).

    Limits, overridable per subclass or per instance: ``max_ranges`` (ranges served as
    multipart/byteranges after coalescing; more and the whole file is sent), ``small_file``
    (bytes read and sent with the headers in one write), ``send_timeout`` (seconds a client may
    accept nothing before it is disconnected, on the uvloop sendfile path; asyncio's
    ``loop.sendfile`` and the read-and-write fallback have no timeout of their own).
    """

    max_ranges: int = MAX_RANGES
    small_file: int = SMALL_FILE
    send_timeout: float = SEND_TIMEOUT

    # Containment (module docstring), set by the static resource: the root every opened file
    # must lie within (None: none given), and whether symlinks may lead anywhere.
    _root: str | None = None
    _follow_symlinks: bool = False
    _plain_dir: str | None = None  # the plain file's real directory, computed when needed

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = 256 * 1024,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self._path = os.fspath(path)
        self._chunk_size = chunk_size

    def _open(self, request: BaseRequest) -> _Opened:
        """Pick the representation: a pre-compressed sibling the client accepts, else the file.

        ``has_siblings`` (for ``Vary``) counts only siblings that would be served: one that
        is refused for containment must not show, not even as a header, whether its target
        exists.
        """
        path = self._path
        codings = accepted_codings(request.headers.get("Accept-Encoding"))
        not_accepted: list[str] = []
        for suffix, coding in _SIBLINGS:
            if not _accepts(codings, coding):
                not_accepted.append(suffix)
                continue
            opened = self._open_sibling(path + suffix)
            if opened is not None:
                return _Opened(opened[0], opened[1], coding, True)
        fd, st = self._open_plain()
        has_siblings = False
        for suffix in not_accepted:
            opened = self._open_sibling(path + suffix)
            if opened is not None:
                os.close(opened[0])
                has_siblings = True
                break
        return _Opened(fd, st, None, has_siblings)

    def _open_plain(self) -> tuple[int, os.stat_result]:
        """Open the file itself: FileNotFoundError (404) when missing or outside the root,
        IsADirectoryError or PermissionError (403) when it is not a readable regular file."""
        try:
            fd, st, _ = open_within(self._path, self._root)
        except (NotADirectoryError, IsADirectoryError):
            raise FileNotFoundError(self._path) from None
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENAMETOOLONG):
                raise FileNotFoundError(self._path) from None
            if exc.errno == errno.ENXIO:  # a socket: there, but not a file (403, as a FIFO)
                raise IsADirectoryError(self._path) from None
            raise
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise IsADirectoryError(self._path)
        return fd, st

    def _open_sibling(self, path: str) -> tuple[int, os.stat_result] | None:
        """Open a pre-compressed sibling if it is a regular file within the containment root
        (see the module docstring); None when it is absent, unreadable or outside."""
        try:
            fd, st, _ = open_within(path, self._root, place_failures=False)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(st.st_mode):
                raise IsADirectoryError(path)
            if self._root is None and not self._follow_symlinks:
                # No static root: the sibling must lie within the plain file's real directory.
                if self._plain_dir is None:
                    real = realpath(self._path)
                    if real is None:  # the path moved while being resolved
                        raise OutsideRoot(path)
                    self._plain_dir = os.path.dirname(real)
                prove_within(fd, st, path, self._plain_dir)
        except OSError:  # OutsideRoot included
            os.close(fd)
            return None
        return fd, st

    async def prepare(self, request: BaseRequest) -> Any:
        if self.prepared:
            return await super().prepare(request)

        try:
            rep = self._open(request)
        except FileNotFoundError:
            raise HTTPNotFound() from None
        except (IsADirectoryError, PermissionError):
            raise HTTPForbidden() from None
        try:
            return await self._send(request, rep)
        finally:
            os.close(rep.fd)

    async def _send(self, request: BaseRequest, rep: _Opened) -> Any:
        st = rep.st
        size = st.st_size
        headers = self._headers
        method = request.method
        etag = make_etag(st.st_mtime_ns, size)
        if self._compression and rep.coding is None:
            # The body may be compressed on the fly: byte-identical it is not, so weak it is.
            etag = etag._replace(is_weak=True)
        mtime = st.st_mtime
        headers.setdefault("ETag", str(etag))
        headers.setdefault("Last-Modified", format_http_date(mtime))
        if rep.coding is not None:
            self._compression = False  # already encoded: never compress twice
        if rep.has_siblings and not self._compression:  # (compression adds its own Vary)
            headers.add("Vary", "Accept-Encoding")
        if "Content-Type" not in headers:
            headers["Content-Type"] = guess_type(self._path)
        if rep.coding is not None:
            headers["Content-Encoding"] = rep.coding

        dynamic_compression = self._compression and rep.coding is None
        plan = plan_representation(
            method,
            request.headers,
            Representation(size, etag, mtime, headers["Content-Type"], not dynamic_compression),
            status=self._status,
            max_ranges=self.max_ranges,
        )
        plan.apply(headers)
        if plan.bodiless:  # 304, 412, 416
            return await self._empty(request, plan.status)
        self.set_status(plan.status)
        if not dynamic_compression:
            headers["Content-Length"] = str(plan.content_length)
        writer = await super().prepare(request)
        if self._no_body or not plan.segments:
            await self.write_eof()
            return writer
        segments = list(plan.segments)
        if self._compressor is not None:
            await self._send_through_compressor(rep.fd, segments)
        else:
            await self._send_segments(request, rep.fd, segments, plan.content_length or 0)
        return writer

    async def _empty(self, request: BaseRequest, status: int) -> Any:
        """A bodiless answer whose fields the plan already settled."""
        self.set_status(status)
        self._compression = False
        writer = await super().prepare(request)
        await self.write_eof()
        return writer

    async def _send_through_compressor(self, fd: int, segments: list[bytes | ByteRange]) -> None:
        chunk = self._chunk_size
        for seg in segments:
            if isinstance(seg, ByteRange):
                pos = seg.start
                while pos < seg.stop:
                    data = os.pread(fd, min(chunk, seg.stop - pos), pos)
                    if not data:
                        raise ConnectionResetError("file shrank while being sent")
                    pos += len(data)
                    await self.write(data)
            else:
                await self.write(seg)
        await self.write_eof()

    async def _send_segments(
        self, request: BaseRequest, fd: int, segments: list[bytes | ByteRange], length: int
    ) -> None:
        protocol = request._protocol
        transport = protocol.transport
        if transport is None or transport.is_closing():
            # The client left while the handler worked (the head is still held back, so
            # nothing was written yet): aiohttp's error, before any file byte is read.
            raise ConnectionResetError("Connection lost")
        self._body_length += length
        # Small bodies: one read, one write together with the headers.
        if length <= self.small_file:
            out = bytearray(self._frame(b"", False))
            for seg in segments:
                if isinstance(seg, ByteRange):
                    data = os.pread(fd, seg.length, seg.start)
                    if len(data) != seg.length:
                        self._abort(protocol)
                        raise ConnectionResetError("file shrank while being sent")
                    out += data
                else:
                    out += seg
            protocol.write(bytes(out))
            await self.write_eof()
            return
        protocol.write(self._frame(b"", False))  # the head
        for seg in segments:
            if isinstance(seg, ByteRange):
                try:
                    await sendfile(
                        protocol, fd, seg.start, seg.length, self._chunk_size, self.send_timeout
                    )
                except ConnectionResetError:
                    self._abort(protocol)
                    raise
            else:
                protocol.write(seg)
        await self.write_eof()

    @staticmethod
    def _abort(protocol: Any) -> None:
        transport = getattr(protocol, "transport", None)
        if transport is not None:
            transport.abort()


# --- sending file bytes ---------------------------------------------------------------------


async def sendfile(
    protocol: Any,
    fd: int,
    offset: int,
    count: int,
    chunk_size: int,
    timeout: float = SEND_TIMEOUT,
) -> None:
    """Send ``count`` bytes of ``fd`` from ``offset`` on ``protocol``'s connection.

    Bytes the protocol holds back (it batches small writes) are flushed first so the file's
    bytes follow them on the wire. Raises ConnectionResetError if the peer goes away or the
    file turns out shorter than promised.
    """
    protocol.flush()
    transport = protocol.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("connection closed")
    loop = asyncio.get_running_loop()
    if transport.get_extra_info("sslcontext") is None:
        kind = type(transport).__name__
        if kind in ("TCPTransport", "UnixTransport"):  # uvloop
            sock = transport.get_extra_info("socket")
            if sock is not None:
                await _sendfile_uvloop(loop, transport, sock.fileno(), fd, offset, count, timeout)
                return
        elif kind == "_SelectorSocketTransport":  # asyncio's own loop
            with os.fdopen(os.dup(fd), "rb", closefd=True) as fobj:
                try:
                    sent = await loop.sendfile(transport, fobj, offset, count, fallback=False)
                except (NotImplementedError, asyncio.SendfileNotAvailableError):
                    sent = None
                except OSError as exc:
                    raise ConnectionResetError(str(exc)) from exc
            if sent is not None:
                if sent != count:
                    raise ConnectionResetError("file shrank while being sent")
                return
    await _send_by_reading(protocol, fd, offset, count, chunk_size)


async def _send_by_reading(protocol: Any, fd: int, offset: int, count: int, chunk: int) -> None:
    end = offset + count
    while offset < end:
        data = os.pread(fd, min(chunk, end - offset), offset)
        if not data:
            raise ConnectionResetError("file shrank while being sent")
        offset += len(data)
        protocol.write(data)
        if protocol.writing_paused:
            await protocol.drain()


async def _sendfile_uvloop(
    loop: asyncio.AbstractEventLoop,
    transport: asyncio.Transport,
    sock_fd: int,
    fd: int,
    offset: int,
    count: int,
    timeout: float,
) -> None:
    """``os.sendfile`` straight onto a uvloop transport's socket.

    uvloop will not let another watcher use a transport's descriptor, so writability is
    awaited on a ``dup`` of it (same socket, different descriptor number). Whatever the
    transport still buffers is let out first, so bytes stay in order.
    """
    watch_fd = os.dup(sock_fd)
    try:
        while transport.get_write_buffer_size():
            await _writable(loop, transport, watch_fd, timeout)
            await asyncio.sleep(0)  # let uvloop flush its own buffer
        end = offset + count
        while offset < end:
            if transport.is_closing():
                raise ConnectionResetError("connection closed")
            try:
                sent = os.sendfile(sock_fd, fd, offset, end - offset)
            except (BlockingIOError, InterruptedError):
                await _writable(loop, transport, watch_fd, timeout)
                continue
            except OSError as exc:
                raise ConnectionResetError(str(exc)) from exc
            if sent == 0:
                raise ConnectionResetError("file shrank while being sent")
            offset += sent
    finally:
        os.close(watch_fd)


async def _writable(
    loop: asyncio.AbstractEventLoop, transport: asyncio.Transport, fd: int, timeout: float
) -> None:
    """Wait until the socket (watched through ``fd``, a dup) accepts more bytes.

    Waits in one-second slices so that a connection the server closes meanwhile (shutdown,
    an abort elsewhere) is noticed at once rather than after the whole timeout; a client that
    accepts nothing for ``timeout`` seconds is disconnected.
    """
    waiter = loop.create_future()

    def ready() -> None:
        if not waiter.done():
            waiter.set_result(None)

    loop.add_writer(fd, ready)
    try:
        waited = 0.0
        while not waiter.done():
            if transport.is_closing():
                raise ConnectionResetError("connection closed")
            if waited >= timeout:
                transport.abort()
                raise ConnectionResetError("client stopped reading")
            try:
                await asyncio.wait_for(asyncio.shield(waiter), 1.0)
            except TimeoutError:
                waited += 1.0
    finally:
        loop.remove_writer(fd)
