"""Forms, uploads and static files.

* A url-encoded form read with ``await request.post()``.
* A multipart upload form whose files are streamed to disk with ``await request.multipart()``
  (the cheat sheet's pattern: ``reader.next()`` / ``field.read_chunk()``), never held in
  memory, with a size limit enforced while streaming.
* Uploaded files served back with ``FileResponse`` (conditional requests, ranges).
* A static directory with ``add_static(show_index=True)``: an escaped index page, a stylesheet
  with a pre-compressed ``.gz`` sibling (sent to clients that accept gzip).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import os
import shutil
import tempfile
from pathlib import Path

from aioweb import web
from demo import layout

TITLE = "Forms, uploads and static files"
LABEL = "Files"
SUMMARY = (
    "A form read with request.post(), uploads streamed to disk with request.multipart(), "
    "files served back with FileResponse, and a static directory with an index page."
)
PATH = "/files/"

MAX_UPLOAD = 50 * 1024 * 1024  # per request, enforced while streaming
spool_key: web.AppKey[Path] = web.AppKey("files_spool", Path)
static_key: web.AppKey[Path] = web.AppKey("files_static", Path)

BODY = """<p class=muted>The blue heading comes from <code>/files/static/demo.css</code>, served
from <code>add_static</code> as its pre-compressed <code>.gz</code> sibling.</p>
<fieldset><legend>A url-encoded form (<code>request.post()</code>)</legend>
<form id=simple method=post action="/files/form">
  <label>Name <input name=name value="Ada"></label>
  <label>Colour <select name=colour><option>red<option selected>green<option>blue</select></label>
  <label><input type=checkbox name=tags value=a checked> a</label>
  <label><input type=checkbox name=tags value=b checked> b</label>
  <button>Send</button>
</form></fieldset>
<fieldset><legend>Upload files (streamed to disk with <code>request.multipart()</code>)</legend>
<form id=upload method=post action="/files/upload" enctype="multipart/form-data">
  <p><label>Note <input name=note value="my files"></label></p>
  <p><input id=file type=file name=file multiple></p>
  <button id=send>Upload</button>
</form>
<p class=muted>At most {limit} MiB per upload; the size is checked while the bytes stream in.</p>
</fieldset>
<h2>Uploaded so far</h2>{uploads}
<h2>Static files</h2>
<p><a href="/files/static/">/files/static/</a> is served by <code>add_static(show_index=True)</code>:
an escaped index page, and files with conditional requests and ranges.</p>"""

STATIC_CSS = '<link rel=stylesheet href="/files/static/demo.css">'


def _page(request: web.Request, title: str, body: str) -> web.Response:
    return layout.page(
        request,
        title,
        body + '<p><a href="/files/">← back to the forms</a></p>',
        head=STATIC_CSS,
    )


def _uploads_table(spool: Path) -> str:
    files = sorted(p for p in spool.iterdir() if p.is_file())
    if not files:
        return "<p>None yet.</p>"
    rows = "".join(
        f"<tr><td><a href='/files/uploads/{html.escape(p.name)}'>{html.escape(p.name)}</a></td>"
        f"<td class=num>{p.stat().st_size}</td></tr>"
        for p in files
    )
    return (
        '<div class="table-wrap"><table><tr><th>file</th><th class=num>bytes</th></tr>'
        f"{rows}</table></div>"
    )


async def index(request: web.Request) -> web.Response:
    spool = request.app[spool_key]
    return layout.page(
        request,
        "Forms, uploads and static files",
        BODY.format(limit=MAX_UPLOAD // (1024 * 1024), uploads=_uploads_table(spool)),
        head=STATIC_CSS,
        lead="request.post(), streaming multipart uploads, FileResponse and add_static.",
    )


async def simple_form(request: web.Request) -> web.Response:
    data = await request.post()
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in data.items()
    )
    return _page(
        request, "Form received", f'<div class="table-wrap"><table id=fields>{rows}</table></div>'
    )


def _safe_name(filename: str | None) -> str:
    """A file name from the client, reduced to something safe to create in the spool."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip().lstrip(".")
    name = "".join(c for c in name if c.isprintable() and c not in '/\0<>:"|?*')
    return name[:120] or "unnamed"


async def upload(request: web.Request) -> web.Response:
    spool = request.app[spool_key]
    reader = await request.multipart()
    total = 0
    note = ""
    stored = []
    while (field := await reader.next()) is not None:
        if isinstance(field, web.MultipartReader):
            raise web.HTTPBadRequest(text="nested multipart is not expected here")
        if field.name == "note":
            note = (await field.read(decode=True)).decode("utf-8", "replace")[:200]
            continue
        if field.name != "file" or not field.filename:
            await field.release()
            continue
        name = _safe_name(field.filename)
        digest = hashlib.sha256()
        size = 0
        target = spool / name
        with open(target, "wb") as f:
            while chunk := await field.read_chunk(256 * 1024):
                size += len(chunk)
                total += len(chunk)
                if total > MAX_UPLOAD:
                    f.close()
                    target.unlink()
                    raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPLOAD, actual_size=total)
                digest.update(chunk)
                f.write(chunk)
        stored.append((name, size, digest.hexdigest(), field.headers.get("Content-Type", "")))
    rows = "".join(
        f"<tr class=stored><td class=name>{html.escape(n)}</td><td class=size>{s}</td>"
        f"<td class=sha><code>{h}</code></td><td>{html.escape(t)}</td></tr>"
        for n, s, h, t in stored
    )
    return _page(
        request,
        "Upload received",
        f"<p id=note>{html.escape(note)}</p>"
        '<div class="table-wrap"><table id=files><tr><th>file</th><th>bytes</th><th>sha256</th>'
        f"<th>type</th></tr>{rows}</table></div>",
    )


async def download(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if _safe_name(name) != name:
        raise web.HTTPNotFound()
    resp = web.FileResponse(request.app[spool_key] / name)
    resp.headers["Content-Disposition"] = "attachment"
    return resp


def _make_static_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="aioweb-demo-static-"))
    css = b"body{background:#fcfcfa}h1{color:#1a5fb4}\n" + b"/* padding */\n" * 200
    (root / "demo.css").write_bytes(css)
    (root / "demo.css.gz").write_bytes(gzip.compress(css))
    (root / "hello.txt").write_text("Hello from a static file.\n")
    (root / "<odd> & name.txt").write_text("Index pages escape names like this one.\n")
    (root / "nested").mkdir()
    (root / "nested" / "deep.txt").write_text("deep\n")
    return root


def setup(app: web.Application) -> None:
    layout.install(app)
    spool = Path(tempfile.mkdtemp(prefix="aioweb-demo-uploads-"))
    static = _make_static_dir()
    app[spool_key] = spool
    app[static_key] = static

    async def cleanup(app: web.Application) -> None:
        shutil.rmtree(spool, ignore_errors=True)
        shutil.rmtree(static, ignore_errors=True)

    app.on_cleanup.append(cleanup)
    app.router.add_get("/files/", index)
    app.router.add_post("/files/form", simple_form)
    app.router.add_post("/files/upload", upload)
    app.router.add_get("/files/uploads/{name}", download)
    app.router.add_static("/files/static", static, show_index=True, name="files_static")
