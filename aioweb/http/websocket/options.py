"""WebSocket option defaults, defined once for both ends.

The server's ``WebSocketResponse``, the session under it and the test client's ``ws_connect``
take the same options; their defaults used to be written in each (and had begun to differ).
The values are aiohttp's, so ported code sees the same limits on either side.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DEFAULT_CLIENT_COMPRESS",
    "DEFAULT_MAX_MSG_SIZE",
    "DEFAULT_TIMEOUT",
    "DEFAULT_WRITER_LIMIT",
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
