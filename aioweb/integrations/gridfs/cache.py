"""An in-process cache of small GridFS files' bytes, bounded in bytes.

Why it is safe to cache chunk data at all: GridFS files are immutable. A new upload under the
same name is a new files document with a new ``_id`` and ``uploadDate``, and deleting a file
removes its files document. The handler still looks the files document up on every request,
so a re-upload or a deletion is seen by the very next request; only the chunk query is saved.
The key is the same identity the strong ``ETag`` already relies on (``_id``, ``length``,
``uploadDate``) plus ``chunkSize`` and the chunks collection, so a file deleted and re-created
under the same ``_id`` by a hand-written upload (a new ``uploadDate``) is a different key too.

What a cached file no longer sees: chunk documents edited in place behind GridFS's back (not
something any driver does). ``cache_bytes=0`` turns the cache off for applications that do that.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Final

__all__ = ["DEFAULT_CACHE_BYTES", "DEFAULT_CACHE_FILE_BYTES", "ChunkCache"]

DEFAULT_CACHE_BYTES: Final = 8 * 1024 * 1024
DEFAULT_CACHE_FILE_BYTES: Final = 256 * 1024
# Bytes charged per entry on top of the data (the key tuple, the dict slot, the bytes header), so
# that many tiny files cannot hold much more memory than the configured size.
ENTRY_OVERHEAD: Final = 256

CacheKey = tuple[str, Any, int, int, int]


class ChunkCache:
    """Least-recently-used file contents, at most ``max_bytes`` in all (data plus a fixed
    per-entry charge); files longer than ``max_file_bytes`` are never stored."""

    __slots__ = ("_entries", "max_bytes", "max_file_bytes", "size")

    def __init__(self, max_bytes: int, max_file_bytes: int) -> None:
        if max_bytes < 0 or max_file_bytes < 0:
            raise ValueError("cache sizes must not be negative")
        self.max_bytes = max_bytes
        # an entry larger than the whole cache would only evict everything else
        self.max_file_bytes = min(max_file_bytes, max(max_bytes - ENTRY_OVERHEAD, 0))
        self.size = 0
        self._entries: OrderedDict[CacheKey, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def key(
        chunks: Any, file_id: Any, length: int, upload_date: datetime.datetime, chunk_size: int
    ) -> CacheKey | None:
        """The cache key of one stored file, or None when its ``_id`` is not hashable (a
        document used as ``_id``): such files are simply not cached."""
        if not isinstance(file_id, Hashable):
            return None
        try:
            hash(file_id)
        except TypeError:
            return None
        if upload_date.tzinfo is None:
            upload_date = upload_date.replace(tzinfo=datetime.UTC)
        millis = int(upload_date.timestamp() * 1000)
        return (getattr(chunks, "full_name", ""), file_id, length, millis, chunk_size)

    def get(self, key: CacheKey) -> bytes | None:
        data = self._entries.get(key)
        if data is not None:
            self._entries.move_to_end(key)
        return data

    def put(self, key: CacheKey, data: bytes) -> None:
        """Store ``data``, evicting the least recently used files to stay within the bound."""
        if len(data) > self.max_file_bytes:
            return
        old = self._entries.pop(key, None)
        if old is not None:
            self.size -= len(old) + ENTRY_OVERHEAD
        cost = len(data) + ENTRY_OVERHEAD
        while self._entries and self.size + cost > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.size -= len(evicted) + ENTRY_OVERHEAD
        if self.size + cost <= self.max_bytes:
            self._entries[key] = data
            self.size += cost

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0
