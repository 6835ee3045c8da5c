"""``GridFSHandler`` (alias ``AIOHTTPGridFS``): serve GridFS files over HTTP.

The API is Motor's ``motor.aiohttp.AIOHTTPGridFS`` — same constructor, same three hooks with
the same signatures — so moving a Motor application over is an import change. The HTTP
behaviour follows RFC 9110 where Motor's did not (see ``docs/gridfs.md`` for each difference):

* GET and HEAD only (405 with ``Allow: GET, HEAD`` otherwise); 404 for a missing file, with a
  body that does not echo the request path.
* ``Last-Modified`` from ``uploadDate``; a strong ``ETag`` made from ``_id``, ``length`` and
  ``uploadDate`` (a GridFS file's content never changes under the same ``_id``, so these
  identify the bytes without reading them).
* Preconditions, ranges and the fields of a 304/412/416 decided by the planner shared with
  ``FileResponse`` (``aioweb.http.representation``), in RFC 9110 §13.2.2 order: If-Match
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
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Literal

import gridfs.errors

from aioweb.framework.exceptions import (
    HTTPBadRequest,
    HTTPInternalServerError,
    HTTPMethodNotAllowed,
    HTTPNotFound,
)
from aioweb.framework.request import Request
from aioweb.framework.response import StreamResponse
from aioweb.http.dates import format_http_date
from aioweb.http.etag import ETag
from aioweb.http.ranges import MAX_RANGES
from aioweb.http.representation import Representation, plan_representation
from aioweb.integrations.gridfs.backend import is_motor, make_bucket, maybe_await
from aioweb.integrations.gridfs.cache import (
    DEFAULT_CACHE_BYTES,
    DEFAULT_CACHE_FILE_BYTES,
    ChunkCache,
)
from aioweb.integrations.gridfs.chunks import DEFAULT_BATCH_BYTES, DEFAULT_CHUNK_SIZE
from aioweb.integrations.gridfs.coalesce import LookupCoalescer
from aioweb.integrations.gridfs.files import StoredFile, delete_file, list_files
from aioweb.integrations.gridfs.metadata import (
    FileView,
    content_disposition,
    gridout_etag,
    resolve_content_type,
)
from aioweb.integrations.gridfs.serve import close_gridout, send_plan
from aioweb.integrations.gridfs.uploads import DEFAULT_MAX_UPLOAD_SIZE, receive_upload

__all__ = [
    "AIOHTTPGridFS",
    "FileView",
    "GridFSHandler",
    "content_disposition",
    "get_cache_time",
    "get_gridfs_file",
    "gridout_etag",
    "resolve_content_type",
    "set_extra_headers",
]

GetGridFSFile = Callable[[Any, str, Request], Awaitable[Any]]
GetCacheTime = Callable[[str, datetime.datetime, str], int]
SetExtraHeaders = Callable[[StreamResponse, Any], Any]

_ALLOWED: Final = frozenset({"GET", "HEAD"})
_REVISION = re.compile(r"-?[0-9]{1,9}")


def get_gridfs_file(bucket: Any, filename: str, request: Request) -> Awaitable[Any]:
    """Choose the GridFS file to serve: by default the newest file named ``filename``.

    Override it to map URLs to files differently, e.g. by ``_id``::

        def get_gridfile_by_id(bucket, filename, request):
            return bucket.open_download_stream(file_id=ObjectId(filename))

    Return an awaitable of a GridOut (PyMongo ``AsyncGridOut`` or Motor
    ``AsyncIOMotorGridOut``); raise ``gridfs.errors.NoFile`` (or let the bucket raise it) for
    404. ``filename`` is the URL's ``{filename}`` part.
    """
    stream: Awaitable[Any] = bucket.open_download_stream_by_name(filename)  # duck-typed bucket
    return stream


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
            # Motor's AIOHTTPGridFS answers a 500 naming the route; so does this (a route
            # set up wrong is the developer's to see on the first request)
            raise HTTPInternalServerError(text=_route_error(request))
        if request.method not in _ALLOWED:
            raise HTTPMethodNotAllowed(request.method, _ALLOWED)
        gridout = await self._open(filename, request)
        try:
            return await self._serve(request, filename, gridout)
        finally:
            await close_gridout(gridout)

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
        document: Mapping[str, Any] | None = await self._files.find_one(
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
        """Describe the file, let the shared planner decide, then carry the plan out."""
        file_id = gridout._id
        length = int(gridout.length or 0)
        upload_date: datetime.datetime = gridout.upload_date
        modified = upload_date.replace(microsecond=0)
        content_type = resolve_content_type(gridout, filename)
        etag = gridout_etag(file_id, length, upload_date)

        response = StreamResponse()
        self._set_fields(response, gridout, filename, modified, content_type, etag)
        await maybe_await(self._set_extra_headers(response, gridout))
        plan = plan_representation(
            request.method,
            request.headers,
            Representation(length, etag, modified, content_type),
            max_ranges=self._max_ranges,
        )
        plan.apply(response.headers)
        response.set_status(plan.status)
        if plan.bodiless:  # 304 / 412 / 416: the fields are settled, there is no body
            return response
        response.content_length = plan.content_length
        if request.method == "HEAD":
            await response.prepare(request)
            return response

        chunk_size = int(gridout.chunk_size or 0)
        collection = self._chunks_for(gridout)
        cache = self._cache
        cache_key = None
        if cache is not None and 0 < length <= cache.max_file_bytes:
            cache_key = cache.key(collection, file_id, length, upload_date, chunk_size)
        await send_plan(
            request,
            response,
            plan,
            collection=collection,
            file_id=file_id,
            length=length,
            chunk_size=chunk_size,
            batch_bytes=self._batch_bytes,
            cache=cache,
            cache_key=cache_key,
        )
        return response

    def _set_fields(
        self,
        response: StreamResponse,
        gridout: Any,
        filename: str,
        modified: datetime.datetime,
        content_type: str,
        etag: ETag,
    ) -> None:
        """Validators, type, caching and disposition, before the hook and the plan."""
        headers = response.headers
        headers["Last-Modified"] = format_http_date(modified)
        headers["ETag"] = str(etag)
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


def _is_sync(collection: Any) -> bool:
    return type(collection).__module__.startswith("pymongo.synchronous")


def _route_error(request: Request) -> str:
    route = getattr(request.match_info, "route", None)
    resource = getattr(route, "resource", None)
    where = getattr(resource, "canonical", None) or request.path
    return (
        f'Bad AIOHTTPGridFS route "{where}": it has no {{filename}} variable; '
        "use a route like '/fs/{filename}'"
    )
