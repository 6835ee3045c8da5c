"""WebSocket options, defined once for both ends.

The server's ``WebSocketResponse``, the session under it and the test client's ``ws_connect``
take the same options; their defaults used to be written in each (and had begun to differ).
The values are aiohttp's, so ported code sees the same limits on either side.
``WebSocketOptions`` carries one connection's options from the public constructors (which keep
aiohttp's keyword arguments) to the session, so the list is written once more, not per layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_CLIENT_COMPRESS",
    "DEFAULT_MAX_MSG_SIZE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WRITER_LIMIT",
    "WebSocketOptions",
]

#: Seconds to wait for the peer's close frame after sending ours.
DEFAULT_TIMEOUT: Final = 10.0
#: Largest message accepted, after reassembly and decompression (1009 past it); 0: no limit.
DEFAULT_MAX_MSG_SIZE: Final = 4 * 1024 * 1024
#: Bytes buffered by the transport before ``send_*`` waits for them to drain.
DEFAULT_WRITER_LIMIT: Final = 64 * 1024
#: What the client offers for permessage-deflate: its window bits (15, the largest; 0: off).
#: The server's ``compress=True`` accepts whatever a client offers instead.
DEFAULT_CLIENT_COMPRESS: Final = 15


@dataclass(frozen=True, slots=True)
class WebSocketOptions:
    """The options of one WebSocket connection, either end (aiohttp's names and meanings).

    ``compress``: on the server, ``True`` accepts a client's permessage-deflate offer, an int
    caps the server window bits, ``False`` refuses it; on the client, the window bits offered
    (0: no offer). ``writer_limit`` is the server's; the client keeps the default.
    ``decode_text=False`` (aiohttp 3.14) delivers TEXT messages as their UTF-8 bytes, for a
    ``loads`` that takes bytes (orjson); they are still checked to be UTF-8.
    """

    timeout: float = DEFAULT_TIMEOUT
    receive_timeout: float | None = None
    autoclose: bool = True
    autoping: bool = True
    heartbeat: float | None = None
    protocols: tuple[str, ...] = ()
    compress: bool | int = True
    max_msg_size: int = DEFAULT_MAX_MSG_SIZE
    writer_limit: int = DEFAULT_WRITER_LIMIT
    decode_text: bool = True
