"""``GridFSHandler`` (alias ``AIOHTTPGridFS``): serve GridFS files over HTTP.

The API is Motor's ``motor.aiohttp.AIOHTTPGridFS`` — same constructor, same three hooks with
the same signatures — so moving a Motor application over is an import change. The HTTP
behaviour follows RFC 9110 where Motor's did not (see ``docs/gridfs.md`` for each difference):

* GET and HEAD only (405 with ``Allow: GET, HEAD`` otherwise); 404 for a missing file, with a
  body that does not echo the request path.
* ``Last-Modified`` from ``uploadDate``; a strong ``ETag`` made from ``_id``, ``length`` and
  ``uploadDate`` (a GridFS file's content never changes under the same ``_id``, so these
  identify the bytes without reading them).
* Preconditions evaluated in RFC 9110 §13.2.2 order by ``aioweb.http.conditional``: If-Match
  and If-Unmodified-Since (412), If-None-Match (304, weak comparison, lists and ``*``), then
  If-Modified-Since only when If-None-Match is absent.
* ``Accept-Ranges: bytes``; one range → 206 with ``Content-Range``; several →
  ``multipart/byteranges``; none satisfiable → 416 with ``Content-Range: bytes */N``;
  ``If-Range`` with an ETag or a date. A range is read by querying only the chunks it covers.
* The body is streamed chunk by chunk with the connection's back-pressure; the first piece is
  read before the headers are sent, so a missing or corrupt first chunk is a clean 500, and a
  corrupt later chunk closes the connection mid-body (the client sees a short body).
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import logging
import mimetypes
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Literal

import gridfs.errors
from bson import ObjectId
from pymongo.errors import PyMongoError

from aioweb.framework.exceptions import HTTPBadRequest, HTTPMethodNotAllowed, HTTPNotFound
from aioweb.framework.request import Request
from aioweb.framework.response import Response, StreamResponse
from aioweb.http.conditional import (
    ETag,
    Outcome,
    evaluate_preconditions,
    format_http_date,
    if_range_matches,
)
from aioweb.http.ranges import (
    MAX_RANGES,
    ByteRange,
    RangeNotSatisfiable,
    build_byteranges,
    parse_range,
)
from aioweb.integrations.gridfs.backend import is_motor, make_bucket, maybe_await
from aioweb.integrations.gridfs.cache import (
    DEFAULT_CACHE_BYTES,
    DEFAULT_CACHE_FILE_BYTES,
    ChunkCache,
)
from aioweb.integrations.gridfs.chunks import DEFAULT_BATCH_BYTES, DEFAULT_CHUNK_SIZE, ChunkReader
from aioweb.integrations.gridfs.coalesce import LookupCoalescer
from aioweb.integrations.gridfs.files import StoredFile, delete_file, list_files
from aioweb.integrations.gridfs.uploads import DEFAULT_MAX_UPLOAD_SIZE, receive_upload

__all__ = [
    "AIOHTTPGridFS",
    "GridFSHandler",
    "get_cache_time",
    "get_gridfs_file",
    "set_extra_headers",
]

log = logging.getLogger("aioweb.gridfs")

GetGridFSFile = Callable[[Any, str, Request], Awaitable[Any]]
GetCacheTime = Callable[[str, datetime.datetime, str], int]
SetExtraHeaders = Callable[[StreamResponse, Any], Any]

_ALLOWED: Final = frozenset({"GET", "HEAD"})
_REVISION = re.compile(r"-?[0-9]{1,9}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def get_gridfs_file(bucket: Any, filename: str, request: Request) -> Awaitable[Any]:
    """Choose the GridFS file to serve: by default the newest file named ``filename``.

    Override it to map URLs to files differently, e.g. by ``_id``::

        def get_gridfile_by_id(bucket, filename, request):
            return bucket.open_download_stream(file_id=ObjectId(filename))

    Return an awaitable of a GridOut (PyMongo ``AsyncGridOut`` or Motor
    ``AsyncIOMotorGridOut``); raise ``gridfs.errors.NoFile`` (or let the bucket raise it) for
    404. ``filename`` is the URL's ``{filename}`` part.
    """
    return bucket.open_download_stream_by_name(filename)


def get_cache_time(filename: str, modified: datetime.datetime, mime_type: str) -> int:
    """How long clients may cache the file, in seconds; 0 (the default) means "revalidate".

    A positive number sends ``Cache-Control: max-age=N`` and an ``Expires`` date; 0 sends
    ``Cache-Control: public`` and no lifetime, so clients revalidate with
    ``If-None-Match``/``If-Modified-Since``. ``filename`` is the URL's ``{filename}`` part,
    ``modified`` the file's ``uploadDate`` truncated to whole seconds (what ``Last-Modified``
    says), ``mime_type`` the ``Content-Type`` that will be sent.
    """
    return 0


def set_extra_headers(response: StreamResponse, gridout: Any) -> None:
    """Change the response before it is sent (default: nothing), e.g.::

    def gzip_header(response, gridout):
        response.headers["Content-Encoding"] = "gzip"
    """


class GridFSHandler:
    """A request handler serving the files of one GridFS bucket.

    Route it with a ``{filename}`` variable, for GET and HEAD::

        handler = GridFSHandler(AsyncMongoClient()["mydb"])
        handler.add_routes(app.router, "/fs/{filename}")
        # or, as with Motor:
        resource = app.router.add_resource("/fs/{filename}")
        resource.add_route("GET", handler)
        resource.add_route("HEAD", handler)

    ``database`` is a PyMongo ``AsyncDatabase`` or a Motor ``AsyncIOMotorDatabase``;
    ``root_collection`` is the bucket name. Keyword-only options, all beyond Motor:

    * ``revisions``: honour ``?revision=N`` (0 = oldest, -1 = newest, as GridFS counts) when
      the default ``get_gridfs_file`` is used; a malformed value is a 400.
    * ``content_disposition``: ``"inline"`` or ``"attachment"`` to send a
      ``Content-Disposition`` with the stored filename (RFC 6266, with ``filename*``).
    * ``max_ranges``: more ranges than this in one request (after merging overlaps) and the
      whole file is sent instead.
    * ``batch_bytes``: about how many bytes of chunks one database round trip fetches; the
      memory one download holds is about this plus one chunk.
    * ``cache_bytes`` / ``cache_file_bytes``: an in-process LRU of the contents of files up to
      ``cache_file_bytes`` long, ``cache_bytes`` in all (default 8 MiB, files up to 256 KiB;
      ``cache_bytes=0`` turns it off). The files document is still looked up on every
      request, so new revisions and deletions show at once; see ``aioweb.gridfs.cache``.
    * ``coalesce_lookups``: requests for the same name that arrive while its files query is
      in flight share the next query instead of each sending one (default on; only with the
      default ``get_gridfs_file``). A request never uses a query sent before it arrived, so
      nothing stale is served; see ``aioweb.gridfs.coalesce``.
    """

    def __init__(
        self,
        database: Any,
        root_collection: str = "fs",
        get_gridfs_file: GetGridFSFile = get_gridfs_file,
        get_cache_time: GetCacheTime = get_cache_time,
        set_extra_headers: SetExtraHeaders = set_extra_headers,
        *,
        revisions: bool = False,
        content_disposition: Literal["inline", "attachment"] | None = None,
        max_ranges: int = MAX_RANGES,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        cache_file_bytes: int = DEFAULT_CACHE_FILE_BYTES,
        coalesce_lookups: bool = True,
    ) -> None:
        if content_disposition not in (None, "inline", "attachment"):
            raise ValueError("content_disposition must be None, 'inline' or 'attachment'")
        self._database = database
        self._bucket = make_bucket(database, root_collection)
        self._root = root_collection
        collection = database[root_collection]
        self._files = collection.files
        self._chunks = collection.chunks
        self._get_gridfs_file = get_gridfs_file
        self._default_lookup = get_gridfs_file is _default_get_gridfs_file
        self._get_cache_time = get_cache_time
        self._set_extra_headers = set_extra_headers
        self._revisions = revisions
        self._disposition = content_disposition
        self._max_ranges = max_ranges
        self._batch_bytes = batch_bytes
        self._motor = is_motor(database)
        # With every hook at its default nobody outside sees the GridOut, so the files document
        # is served from a light read-only view instead of a driver GridOut (~40 us to build).
        self._plain_hooks = set_extra_headers is _default_set_extra_headers
        self._cache: ChunkCache | None = None
        if cache_bytes > 0 and cache_file_bytes > 0:
            self._cache = ChunkCache(cache_bytes, cache_file_bytes)
        self._coalescer: LookupCoalescer | None = None
        if coalesce_lookups and self._default_lookup:
            self._coalescer = LookupCoalescer(self._find_file)

    @property
    def database(self) -> Any:
        return self._database

    @property
    def bucket(self) -> Any:
        """The GridFS bucket (``AsyncGridFSBucket`` or ``AsyncIOMotorGridFSBucket``)."""
        return self._bucket

    @property
    def root_collection(self) -> str:
        return self._root

    @property
    def cache(self) -> ChunkCache | None:
        """The cache of small files' contents, or None when ``cache_bytes=0``."""
        return self._cache

    def add_routes(self, router: Any, path: str, *, name: str | None = None) -> Any:
        """Route GET and HEAD of ``path`` here; ``path`` must contain ``{filename}``."""
        if not re.search(r"\{filename(:[^}]*)?\}", path):
            raise ValueError(
                f"a GridFS route needs a {{filename}} variable, e.g. '/fs/{{filename}}'; "
                f"got {path!r}"
            )
        resource = router.add_resource(path, name=name)
        resource.add_route("GET", self)
        resource.add_route("HEAD", self)
        return resource

    # -- storing, listing, deleting ---------------------------------------------------

    async def upload(
        self,
        request: Request,
        *,
        filename: str | None = None,
        field: str = "file",
        max_size: int = DEFAULT_MAX_UPLOAD_SIZE,
        metadata: Mapping[str, Any] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Any:
        """Stream the request's file (multipart field ``field``, or the raw body) into this
        bucket and return its ``_id``; see ``aioweb.gridfs.uploads.receive_upload``."""
        return await receive_upload(
            request,
            self._files,
            self._chunks,
            filename=filename,
            field=field,
            max_size=max_size,
            metadata=metadata,
            chunk_size=chunk_size,
            batch_bytes=self._batch_bytes,
        )

    async def delete(self, file_id: Any) -> bool:
        """Delete a file and its chunks; False when no file had that ``_id``."""
        return await delete_file(self._files, self._chunks, file_id)

    async def list(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] = (("uploadDate", -1),),
        skip: int = 0,
        limit: int = 100,
    ) -> list[StoredFile]:
        """The files matching ``filter``, newest first unless ``sort`` says otherwise."""
        return await list_files(self._files, filter, sort=sort, skip=skip, limit=limit)

    # -- serving ---------------------------------------------------------------------

    async def __call__(self, request: Request) -> StreamResponse:
        filename = request.match_info.get("filename")
        if filename is None:
            raise RuntimeError(_route_error(request))
        if request.method not in _ALLOWED:
            raise HTTPMethodNotAllowed(request.method, _ALLOWED)
        gridout = await self._open(filename, request)
        try:
            return await self._serve(request, filename, gridout)
        finally:
            await _close_gridout(gridout)

    async def _open(self, filename: str, request: Request) -> Any:
        try:
            revision = -1
            if self._revisions and "revision" in request.query and self._default_lookup:
                text = request.query["revision"]
                if not _REVISION.fullmatch(text):
                    raise HTTPBadRequest(text="revision must be an integer")
                revision = int(text)
            if self._coalescer is not None:
                document = await self._coalescer.get((filename, revision))
                return self._gridout_for(document)
            if revision != -1:
                gridout = await self._bucket.open_download_stream_by_name(
                    filename, revision=revision
                )
            else:
                gridout = await self._get_gridfs_file(self._bucket, filename, request)
            # PyMongo's GridOut fetches its files document lazily; Motor's is already open.
            opener = getattr(gridout, "open", None)
            if opener is not None:
                await maybe_await(opener())
        except gridfs.errors.NoFile:
            raise HTTPNotFound() from None
        return gridout

    async def _find_file(self, filename: str, revision: int) -> Mapping[str, Any]:
        """The files document the default ``get_gridfs_file`` would open: GridFS's revision
        numbering (0 = oldest, -1 = newest) over ``uploadDate``, one document, one batch."""
        if revision < 0:
            skip, order = -revision - 1, -1
        else:
            skip, order = revision, 1
        document = await self._files.find_one(
            {"filename": filename}, sort=[("uploadDate", order)], skip=skip
        )
        if document is None:
            raise gridfs.errors.NoFile(f"no version {revision} for filename {filename!r}")
        return document

    def _gridout_for(self, document: Mapping[str, Any]) -> Any:
        """What the request works with: a read-only view when no hook can see it, else the
        driver's own GridOut over a private copy of the (possibly shared) document."""
        if self._plain_hooks:
            return FileView(document)
        copied = copy.deepcopy(dict(document))
        root = self._database[self._root]
        if self._motor:
            from motor.motor_asyncio import AsyncIOMotorGridOut  # noqa: PLC0415 (optional dependency)

            return AsyncIOMotorGridOut(root, file_document=copied)
        from gridfs.asynchronous import AsyncGridOut  # noqa: PLC0415 (optional dependency)

        return AsyncGridOut(root, file_document=copied)

    async def _serve(self, request: Request, filename: str, gridout: Any) -> StreamResponse:
        file_id = gridout._id
        length = int(gridout.length or 0)
        upload_date: datetime.datetime = gridout.upload_date
        modified = upload_date.replace(microsecond=0)
        content_type = resolve_content_type(gridout, filename)
        etag = gridout_etag(file_id, length, upload_date)

        response = StreamResponse()
        headers = response.headers
        headers["Last-Modified"] = format_http_date(modified)
        headers["ETag"] = str(etag)
        headers["Accept-Ranges"] = "bytes"
        headers["Content-Type"] = content_type
        cache_time = self._get_cache_time(filename, modified, content_type)
        if cache_time and cache_time > 0:
            expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=cache_time)
            headers["Expires"] = format_http_date(expires)
            headers["Cache-Control"] = f"max-age={int(cache_time)}"
        else:
            headers["Cache-Control"] = "public"
        if self._disposition is not None:
            headers["Content-Disposition"] = content_disposition(
                self._disposition, gridout.filename or filename
            )
        await maybe_await(self._set_extra_headers(response, gridout))

        outcome = evaluate_preconditions(
            request.method, request.headers, etag=etag, last_modified=modified
        )
        if outcome is Outcome.NOT_MODIFIED:
            response.set_status(304)
            # RFC 9110 §15.4.5: a 304 repeats the validators and caching fields, not the
            # representation's metadata.
            for name in ("Content-Type", "Accept-Ranges", "Content-Disposition"):
                headers.pop(name, None)
            return response
        if outcome is Outcome.PRECONDITION_FAILED:
            return _bare(412, response)

        ranges: list[ByteRange] | None = None
        range_header = request.headers.get("Range")
        if range_header is not None and if_range_matches(
            request.headers.get("If-Range"), etag=etag, last_modified=modified
        ):
            try:
                ranges = parse_range(range_header, length, max_ranges=self._max_ranges)
            except RangeNotSatisfiable as exc:
                failed = _bare(416, response)
                failed.headers["Content-Range"] = exc.content_range
                return failed

        chunk_size = int(gridout.chunk_size or 0)
        collection = self._chunks_for(gridout)
        head_only = request.method == "HEAD"

        if ranges is None:
            response.content_length = length
            pieces = [ByteRange(0, length)]
            framing = None
        elif len(ranges) == 1:
            response.set_status(206)
            headers["Content-Range"] = ranges[0].content_range(length)
            response.content_length = ranges[0].length
            pieces = ranges
            framing = None
        else:
            response.set_status(206)
            framing = build_byteranges(ranges, length, content_type)
            headers["Content-Type"] = framing.content_type
            response.content_length = framing.content_length
            pieces = ranges

        if head_only:
            await response.prepare(request)
            return response

        cache = self._cache
        cache_key = None
        if cache is not None and 0 < length <= cache.max_file_bytes:
            cache_key = cache.key(collection, file_id, length, upload_date, chunk_size)
            if cache_key is not None:
                data = cache.get(cache_key)
                if data is not None:
                    await self._send_cached(request, response, data, pieces, framing)
                    return response

        readers = [
            ChunkReader(
                collection,
                file_id,
                length=length,
                chunk_size=chunk_size,
                start=r.start,
                stop=r.stop,
                batch_bytes=self._batch_bytes,
            )
            for r in pieces
        ]
        # A whole small file is kept as it streams by and cached once every chunk checked out;
        # a range never fills the cache (it reads only the chunks it covers).
        tee = None
        if cache is not None and cache_key is not None and ranges is None:
            tee = _Tee(cache, cache_key, length)
        try:
            # Read the first piece before committing to a status: a file whose first chunk
            # is missing gets a clean 500 rather than a 200 with a broken body.
            first = await readers[0].next() if pieces[0].length else None
            await response.prepare(request)
            if framing is None:
                await _send(response, readers[0], first, tee)
            else:
                index = 0
                for segment in framing.segments():
                    if isinstance(segment, bytes):
                        await response.write(segment)
                    else:
                        await _send(response, readers[index], first if index == 0 else None)
                        index += 1
            await response.write_eof()
        except PyMongoError:  # CorruptGridFile, or the database going away mid-file
            if response.prepared:
                # Too late for a status code: end the connection so the client sees a short
                # body rather than waiting for bytes that will not come.
                log.exception("GridFS file %r failed while being sent", file_id)
                _abort_connection(request)
                return response
            raise
        finally:
            for reader in readers:
                await reader.close()
        return response

    @staticmethod
    async def _send_cached(
        request: Request,
        response: StreamResponse,
        data: bytes,
        pieces: list[ByteRange],
        framing: Any,
    ) -> None:
        """The body (or the ranges) of a cached file: no database round trip at all."""
        await response.prepare(request)
        if framing is None:
            piece = pieces[0]
            if piece.length:
                await response.write(
                    data
                    if piece.length == len(data)
                    else memoryview(data)[piece.start : piece.stop]
                )
        else:
            index = 0
            for segment in framing.segments():
                if isinstance(segment, bytes):
                    await response.write(segment)
                else:
                    piece = pieces[index]
                    await response.write(memoryview(data)[piece.start : piece.stop])
                    index += 1
        await response.write_eof()

    def _chunks_for(self, gridout: Any) -> Any:
        """The chunks collection ``gridout`` belongs to.

        PyMongo's ``AsyncGridOut`` knows it (a ``get_gridfs_file`` hook may open files in
        another bucket); for Motor's, the handler's own bucket is used.
        """
        chunks = getattr(gridout, "_chunks", None)
        if chunks is not None and hasattr(chunks, "find") and not _is_sync(chunks):
            return chunks
        return self._chunks


AIOHTTPGridFS = GridFSHandler
"""The name Motor gave this handler (``motor.aiohttp.AIOHTTPGridFS``)."""

_default_get_gridfs_file = get_gridfs_file
_default_set_extra_headers = set_extra_headers


class FileView:
    """The GridOut attributes the handler reads, over a files document it must not change.

    Used when every hook is the default one, so no user code receives it; the document may be
    shared by several requests (see ``LookupCoalescer``) and is only read.
    """

    __slots__ = ("_file",)

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._file = document

    @property
    def _id(self) -> Any:
        return self._file["_id"]

    @property
    def filename(self) -> str | None:
        return self._file.get("filename")

    @property
    def length(self) -> int:
        return self._file.get("length") or 0

    @property
    def chunk_size(self) -> int:
        return self._file.get("chunkSize") or 0

    @property
    def upload_date(self) -> datetime.datetime:
        return self._file.get("uploadDate")  # type: ignore[return-value]

    @property
    def metadata(self) -> Any:
        return self._file.get("metadata")

    @property
    def content_type(self) -> Any:
        return self._file.get("contentType")


def _is_sync(collection: Any) -> bool:
    return type(collection).__module__.startswith("pymongo.synchronous")


class _Tee:
    """Collects a small file's pieces as they are sent; caches the file once all ``length``
    bytes have been read (every piece passed ``ChunkReader``'s checks), before the last
    piece is written, so a client that has the whole body can rely on the cache having it."""

    __slots__ = ("_cache", "_key", "_length", "_pieces", "_size")

    def __init__(self, cache: ChunkCache, key: Any, length: int) -> None:
        self._cache = cache
        self._key = key
        self._length = length
        self._pieces: list[Any] = []
        self._size = 0

    def add(self, piece: Any) -> None:
        self._pieces.append(piece)
        self._size += len(piece)
        if self._size == self._length:
            self._cache.put(self._key, b"".join(self._pieces))
            self._pieces = []


async def _send(
    response: StreamResponse, reader: ChunkReader, first: Any, tee: _Tee | None = None
) -> None:
    piece = first if first is not None else await reader.next()
    while piece is not None:
        if tee is not None:
            tee.add(piece)
        await response.write(piece)
        piece = await reader.next()


async def _close_gridout(gridout: Any) -> None:
    close = getattr(gridout, "close", None)
    if close is not None:
        try:
            await maybe_await(close())
        except Exception:  # closing only releases a cursor; never mask the real outcome
            log.debug("closing a GridOut failed", exc_info=True)


def _abort_connection(request: Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


def _bare(status: int, response: StreamResponse) -> Response:
    """A bodiless status response that keeps the validators of ``response``."""
    bare = Response(status=status)
    for name in ("ETag", "Last-Modified", "Cache-Control", "Expires", "Accept-Ranges"):
        value = response.headers.get(name)
        if value is not None:
            bare.headers[name] = value
    return bare


def _route_error(request: Request) -> str:
    route = getattr(request.match_info, "route", None)
    resource = getattr(route, "resource", None)
    where = getattr(resource, "canonical", None) or request.path
    return (
        f"GridFSHandler is routed at {where!r}, which has no {{filename}} variable; "
        "use a route like '/fs/{filename}'"
    )


# -- metadata --------------------------------------------------------------------------


def resolve_content_type(gridout: Any, filename: str) -> str:
    """``metadata.contentType``, then the deprecated top-level ``contentType``, then a guess
    from the stored filename (or the URL's), then ``application/octet-stream``.

    A stored value with control characters is ignored: it came from whoever uploaded the file
    and must not be able to split the response head.
    """
    document = _file_document(gridout)
    if document is not None:
        metadata = document.get("metadata")
        legacy = document.get("contentType")
    else:
        metadata = gridout.metadata
        legacy = gridout.content_type
    candidates = []
    if isinstance(metadata, Mapping):
        candidates.append(metadata.get("contentType"))
    candidates.append(legacy)
    for value in candidates:
        if isinstance(value, str) and value and not _CONTROL.search(value):
            return value
    for name in (gridout.filename, filename):
        if isinstance(name, str) and name:
            guessed, _ = mimetypes.guess_type(name, strict=False)
            if guessed:
                return guessed
    return "application/octet-stream"


def _file_document(gridout: Any) -> Mapping[str, Any] | None:
    """The files document behind a GridOut, read without the deprecated ``content_type``
    property (PyMongo keeps it in ``_file``; Motor wraps a PyMongo GridOut in ``delegate``)."""
    for obj in (gridout, getattr(gridout, "delegate", None)):
        document = getattr(obj, "_file", None) if obj is not None else None
        if isinstance(document, Mapping):
            return document
    return None


def gridout_etag(file_id: Any, length: int, upload_date: datetime.datetime) -> ETag:
    """A strong entity tag computed from the files document alone.

    GridFS never rewrites a file's chunks in place: new content means a new ``_id`` (and a new
    ``uploadDate``). So ``_id`` + ``length`` + ``uploadDate`` (milliseconds, as stored) name
    the exact bytes, which is what a strong validator promises, and ranges may use it.
    """
    if isinstance(file_id, ObjectId):
        ident = str(file_id)
    else:
        ident = hashlib.blake2b(repr(file_id).encode(), digest_size=12).hexdigest()
    if upload_date.tzinfo is None:
        upload_date = upload_date.replace(tzinfo=datetime.UTC)
    millis = int(upload_date.timestamp() * 1000)
    return ETag(f"{ident}-{length:x}-{millis:x}")


def content_disposition(kind: str, filename: str) -> str:
    """A Content-Disposition value (RFC 6266) that survives any filename.

    ``filename`` carries an ASCII fallback (non-ASCII and quoting characters replaced with
    ``_``) for old clients; ``filename*`` carries the exact name, UTF-8 and percent-encoded
    (RFC 8187), which current browsers prefer.
    """
    name = filename.rsplit("/", 1)[-1] or "download"
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%' else "_" for c in name)
    encoded = urllib.parse.quote(name, safe="!#$&+-.^_`|~")
    if fallback == name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
