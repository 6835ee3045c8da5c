"""A transport-shaped view of one ASGI connection.

Framework code that reaches for ``request.transport`` (``get_extra_info``, ``is_closing``,
``FileResponse``'s sendfile, the WebSocket session's writes) finds this object.  It owns no
socket: ``write`` hands the bytes to the connection, which turns them into ASGI messages.
``sendfile`` sees an unknown transport type and falls back to reading and writing, which is
the only way bytes can reach an ASGI ``send``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["ScopeTransport"]


class ScopeTransport(asyncio.Transport):
    """``asyncio.Transport`` over an ASGI connection (see the module docstring).

    ``get_extra_info`` answers ``peername`` (the scope's ``client``), ``sockname`` (its
    ``server``), ``sslcontext`` (``None``: TLS, if any, ended in the ASGI server) and
    ``asgi_scope`` (the scope itself).
    """

    def __init__(
        self,
        extra: dict[str, Any],
        write: Callable[[bytes], None],
        close: Callable[[], None],
        pause: Callable[[], None],
        resume: Callable[[], None],
    ) -> None:
        super().__init__(extra)
        self._write = write
        self._close = close
        self._pause = pause
        self._resume = resume
        self._closing = False
        self._high = 64 * 1024

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            raise ConnectionResetError("Cannot write to closing transport")
        self._write(bytes(data))

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        self.write(b"".join(list_of_data))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._close()

    def abort(self) -> None:
        self.close()

    def can_write_eof(self) -> bool:
        return False

    def write_eof(self) -> None:
        raise NotImplementedError("an ASGI connection cannot be half-closed")

    def pause_reading(self) -> None:
        self._pause()

    def resume_reading(self) -> None:
        self._resume()

    def is_reading(self) -> bool:
        return not self._closing

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._high = high if high is not None else self._high

    def get_write_buffer_size(self) -> int:
        return 0

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (self._high // 4, self._high)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        # The connection keeps routing bytes itself (see WebSocketResponse._post_start).
        raise NotImplementedError

    def get_protocol(self) -> asyncio.BaseProtocol:
        raise NotImplementedError
