"""GridFS: upload files into MongoDB, list them, view or download them, delete them.

The database is the one ``MONGODB_URI`` names (``scripts/demo.sh`` starts FerretDB and sets
it); without one, the page says so instead of failing.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId

from aioweb import web
from demo import layout

TITLE = "GridFS: upload, list, view, download, delete"
LABEL = "GridFS"
SUMMARY = (
    "Upload files into MongoDB GridFS, list them, view images and seek videos (served with "
    "ETag, Last-Modified and Range), download and delete them."
)
PATH = "/gridfs/"
DATABASE = "aioweb_demo"
MAX_UPLOAD = 200 * 1024 * 1024


@dataclass
class _Demo:
    """The page's state, filled in at start-up (the app is frozen by then, this object not)."""

    files: Any = None  # by name, with ?revision=N: the seed's default lookup
    view: Any = None  # by _id: the seed's second example
    download: Any = None  # by _id, Content-Disposition: attachment
    problem: str = "MONGODB_URI is not set."


DEMO: web.AppKey[_Demo] = web.AppKey("gridfs_demo", _Demo)


def _page(request: web.Request, body: str, status: int = 200) -> web.Response:
    return layout.page(
        request,
        "GridFS",
        body,
        status=status,
        lead="Files stored in MongoDB, served with ETags, Last-Modified and ranges.",
    )


def _unavailable(request: web.Request, reason: str) -> web.Response:
    return _page(
        request,
        '<p class="msg" id="no-database"><strong>No database is reachable.</strong> '
        f"{html.escape(reason)}<br>Run the demo with <code>scripts/demo.sh</code> (it starts "
        "FerretDB), or set <code>MONGODB_URI</code> to a MongoDB server.</p>",
        status=503,
    )


def _by_id(bucket: Any, filename: str, request: web.Request) -> Any:
    """The seed's second example: the URL's {filename} part is the file's _id."""
    try:
        file_id = ObjectId(filename)
    except InvalidId:
        raise web.HTTPNotFound() from None
    return bucket.open_download_stream(file_id)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


async def index(request: web.Request) -> web.Response:
    handler = request.app[DEMO].files
    if handler is None:
        return _unavailable(request, request.app[DEMO].problem)
    from pymongo.errors import PyMongoError

    try:
        files = await handler.list(limit=200)
    except PyMongoError as exc:
        return _unavailable(
            request, f"The database at MONGODB_URI did not answer ({type(exc).__name__})."
        )
    rows = []
    for f in files:
        fid = str(f.id)
        name = html.escape(f.filename or "")
        ctype = f.content_type or ""
        view = f"{PATH}id/{fid}"
        if ctype.startswith("image/"):
            preview = f'<img src="{view}" alt="{name}">'
        elif ctype.startswith("video/"):
            preview = f'<video src="{view}" controls preload="metadata"></video>'
        else:
            preview = ""
        rows.append(
            f'<tr data-id="{fid}"><td><a href="{view}">{name}</a>{preview}</td>'
            f"<td>{html.escape(ctype)}</td><td class=num>{_size(f.length)}</td>"
            f"<td>{f.upload_date:%Y-%m-%d %H:%M:%S}</td>"
            f'<td><a href="{PATH}download/{fid}">download</a> '
            f'<form class=inline method=post action="{PATH}delete/{fid}">'
            "<button type=submit class=secondary>delete</button></form></td></tr>"
        )
    table = (
        '<div class="table-wrap"><table class=gridfs><tr><th>file</th><th>type</th>'
        "<th class=num>size</th><th>uploaded (UTC)</th>"
        f"<th></th></tr>{''.join(rows)}</table></div>"
        if rows
        else "<p id=empty>No files yet.</p>"
    )
    return _page(
        request,
        f'<form class=box method=post action="{PATH}upload" enctype="multipart/form-data">'
        "<input type=file name=file required> <button type=submit>upload</button></form>"
        f"<p>Uploads stream straight into GridFS (limit {_size(MAX_UPLOAD)}). Files are served "
        "with ETag, Last-Modified, ranges (videos seek), and by name at "
        f"<code>{PATH}files/&lt;name&gt;</code>.</p>{table}",
    )


async def upload(request: web.Request) -> web.Response:
    handler = request.app[DEMO].files
    if handler is None:
        return _unavailable(request, request.app[DEMO].problem)
    await handler.upload(request, max_size=MAX_UPLOAD)
    raise web.HTTPSeeOther(PATH)


async def delete(request: web.Request) -> web.Response:
    handler = request.app[DEMO].files
    if handler is None:
        return _unavailable(request, request.app[DEMO].problem)
    try:
        file_id = ObjectId(request.match_info["id"])
    except InvalidId:
        raise web.HTTPNotFound() from None
    if not await handler.delete(file_id):
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(PATH)


async def _database(app: web.Application) -> Any:
    """Connect at start-up (when MONGODB_URI is set); close at shutdown."""
    demo = app[DEMO]
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        yield
        return
    try:
        from pymongo import AsyncMongoClient

        from aioweb.gridfs import GridFSHandler
    except ImportError:
        demo.problem = "PyMongo is not installed (pip install 'aioweb[gridfs]')."
        yield
        return
    client: Any = AsyncMongoClient(uri, serverSelectionTimeoutMS=3000)
    database = client[DATABASE]
    demo.files = GridFSHandler(database, revisions=True)
    demo.view = GridFSHandler(database, get_gridfs_file=_by_id)
    demo.download = GridFSHandler(
        database, get_gridfs_file=_by_id, content_disposition="attachment"
    )
    try:
        yield
    finally:
        await client.close()


def _serve_with(attr: str) -> Any:
    async def serve(request: web.Request) -> web.StreamResponse:
        demo = request.app[DEMO]
        handler = getattr(demo, attr)
        if handler is None:
            return _unavailable(request, demo.problem)
        from pymongo.errors import PyMongoError

        try:
            return await handler(request)
        except PyMongoError as exc:
            return _unavailable(request, f"The database did not answer ({type(exc).__name__}).")

    return serve


def setup(app: web.Application) -> None:
    layout.install(app)
    app[DEMO] = _Demo()
    app.cleanup_ctx.append(_database)
    app.router.add_get(PATH, index)
    app.router.add_post(PATH + "upload", upload)
    app.router.add_post(PATH + "delete/{id}", delete)
    for prefix, attr in (("files", "files"), ("id", "view"), ("download", "download")):
        resource = app.router.add_resource(f"{PATH}{prefix}/{{filename}}")
        resource.add_route("GET", _serve_with(attr))
        resource.add_route("HEAD", _serve_with(attr))
