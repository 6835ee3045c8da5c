"""Serve and store files in MongoDB GridFS.

``GridFSHandler`` (also under Motor's name, ``AIOHTTPGridFS``) serves a bucket's files with
full HTTP caching and range semantics, and streams uploads in; it works with PyMongo's async
API (``AsyncMongoClient``) or with Motor. Importing this package imports PyMongo; ``import
aioweb`` alone does not. See ``docs/gridfs.md``.
"""

from __future__ import annotations

from gridfs.errors import CorruptGridFile, NoFile

from aioweb.integrations.gridfs.cache import (
    DEFAULT_CACHE_BYTES,
    DEFAULT_CACHE_FILE_BYTES,
    ChunkCache,
)
from aioweb.integrations.gridfs.chunks import DEFAULT_CHUNK_SIZE, ChunkReader, ChunkWriter
from aioweb.integrations.gridfs.files import StoredFile, delete_file, list_files
from aioweb.integrations.gridfs.handler import (
    AIOHTTPGridFS,
    GridFSHandler,
    content_disposition,
    get_cache_time,
    get_gridfs_file,
    gridout_etag,
    resolve_content_type,
    set_extra_headers,
)
from aioweb.integrations.gridfs.uploads import DEFAULT_MAX_UPLOAD_SIZE, receive_upload

__all__ = [
    "AIOHTTPGridFS",
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_CACHE_FILE_BYTES",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_UPLOAD_SIZE",
    "ChunkCache",
    "ChunkReader",
    "ChunkWriter",
    "CorruptGridFile",
    "GridFSHandler",
    "NoFile",
    "StoredFile",
    "content_disposition",
    "delete_file",
    "get_cache_time",
    "get_gridfs_file",
    "gridout_etag",
    "list_files",
    "receive_upload",
    "resolve_content_type",
    "set_extra_headers",
]
