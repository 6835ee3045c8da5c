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

TITLE = "GridFS: upload, list, view, download, delete"
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

STYLE = """body{font:16px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;
text-align:left}.num{text-align:right}.msg{padding:.7rem 1rem;background:#fff3cd;
border:1px solid #e0c060}img,video{max-width:100%;max-height:24rem;display:block}
form.inline{display:inline}"""


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=(
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>GridFS · aioweb demo</title><style>{STYLE}</style></head><body>"
            f'<p><a href="/">demo index</a></p><h1>GridFS</h1>{body}</body></html>'
        ),
        status=status,
        content_type="text/html",
    )


def _unavailable(reason: str) -> web.Response:
    return _page(
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
        return _unavailable(request.app[DEMO].problem)
    from pymongo.errors import PyMongoError

    try:
        files = await handler.list(limit=200)
    except PyMongoError as exc:
        return _unavailable(f"The database at MONGODB_URI did not answer ({type(exc).__name__}).")
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
            "<button type=submit>delete</button></form></td></tr>"
        )
    table = (
        "<table><tr><th>file</th><th>type</th><th class=num>size</th><th>uploaded (UTC)</th>"
        f"<th></th></tr>{''.join(rows)}</table>"
        if rows
        else "<p id=empty>No files yet.</p>"
    )
    return _page(
        f'<form method=post action="{PATH}upload" enctype="multipart/form-data">'
        "<input type=file name=file required> <button type=submit>upload</button></form>"
        f"<p>Uploads stream straight into GridFS (limit {_size(MAX_UPLOAD)}). Files are served "
        "with ETag, Last-Modified, ranges (videos seek), and by name at "
        f"<code>{PATH}files/&lt;name&gt;</code>.</p>{table}"
    )


async def upload(request: web.Request) -> web.Response:
    handler = request.app[DEMO].files
    if handler is None:
        return _unavailable(request.app[DEMO].problem)
    await handler.upload(request, max_size=MAX_UPLOAD)
    raise web.HTTPSeeOther(PATH)


async def delete(request: web.Request) -> web.Response:
    handler = request.app[DEMO].files
    if handler is None:
        return _unavailable(request.app[DEMO].problem)
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
            return _unavailable(demo.problem)
        from pymongo.errors import PyMongoError

        try:
            return await handler(request)
        except PyMongoError as exc:
            return _unavailable(f"The database did not answer ({type(exc).__name__}).")

    return serve


def setup(app: web.Application) -> None:
    app[DEMO] = _Demo()
    app.cleanup_ctx.append(_database)
    app.router.add_get(PATH, index)
    app.router.add_post(PATH + "upload", upload)
    app.router.add_post(PATH + "delete/{id}", delete)
    for prefix, attr in (("files", "files"), ("id", "view"), ("download", "download")):
        resource = app.router.add_resource(f"{PATH}{prefix}/{{filename}}")
        resource.add_route("GET", _serve_with(attr))
        resource.add_route("HEAD", _serve_with(attr))
