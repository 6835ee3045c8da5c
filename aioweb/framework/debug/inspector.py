"""The request inspector: the last N requests, shown at a path, to loopback clients only.

Each record keeps the request line, headers, query, route, status, time taken and the
traceback if any.  It answers only connections from the loopback interface that carry no proxy
headers: a debug server exposed by mistake must not hand out other users' cookies.
"""

from __future__ import annotations

import asyncio
import collections
import html
import ipaddress
import itertools
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from aioweb.framework.debug.page import (
    _CSS,
    _exc_message,
    _headers,
    _query,
    _request_line,
    _route,
    _safe,
    _table,
)
from aioweb.framework.exceptions import HTTPMethodNotAllowed, HTTPNotFound
from aioweb.framework.json_response import json_response
from aioweb.framework.response import Response
from aioweb.framework.types import Handler

__all__ = [
    "DEFAULT_INSPECTOR_PATH",
    "DEFAULT_MAX_REQUESTS",
    "RequestInspector",
    "RequestRecord",
    "ensure_inspector",
    "find_inspector",
    "is_local_request",
    "setup",
]

DEFAULT_INSPECTOR_PATH = "/_aioweb/requests"
DEFAULT_MAX_REQUESTS = 100
_PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-IP")


def is_local_request(request: Any) -> bool:
    """True for a direct connection from this machine's loopback interface.

    The socket's peer address is checked, not ``request.remote`` (which a proxy setup may
    rewrite), and a request carrying proxy headers is refused even from 127.0.0.1: a local
    reverse proxy would otherwise make every remote visitor look local.
    """
    transport = _safe(lambda: request.transport)
    peer = _safe(lambda: transport.get_extra_info("peername")) if transport else None
    if isinstance(peer, tuple) and peer:
        host = str(peer[0])
    elif isinstance(peer, str) or peer is None:
        # A Unix socket has no address (peer '' or None): only local processes can reach it.
        sockname = _safe(lambda: transport.get_extra_info("sockname")) if transport else None
        if isinstance(sockname, str) or (peer == "" and sockname is None):
            host = "127.0.0.1"
        else:
            return False
    else:
        return False
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_loopback:
        return False
    headers = _safe(lambda: request.headers, {}) or {}
    return not any(name in headers for name in _PROXY_HEADERS)


def _clip(text: str, limit: int = 4096) -> str:
    """Bound what a record keeps: N records must stay N small records, whatever the input."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


@dataclass
class RequestRecord:
    """One request as the inspector remembers it."""

    id: int
    started: float
    request_line: str
    method: str
    path: str
    remote: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    route: list[tuple[str, str]] = field(default_factory=list)
    status: int | None = None
    duration_ms: float | None = None
    error: str | None = None
    traceback: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": self.started,
            "request_line": self.request_line,
            "method": self.method,
            "path": self.path,
            "remote": self.remote,
            "headers": self.headers,
            "query": self.query,
            "route": self.route,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "error": self.error,
            "traceback": self.traceback,
        }


class RequestInspector:
    """Remembers the last ``max_requests`` requests and serves them at ``path``.

    Use :meth:`middleware` as the application's first middleware so it sees every request,
    including those that end in 404 or an unhandled error. ``GET path`` lists the requests
    (newest first), ``GET path/<id>`` shows one, ``GET path/json`` returns them as JSON.
    """

    def __init__(
        self, *, path: str = DEFAULT_INSPECTOR_PATH, max_requests: int = DEFAULT_MAX_REQUESTS
    ) -> None:
        if not path.startswith("/") or path.endswith("/") or len(path) < 2:
            raise ValueError(f"inspector path must look like '/a/b', not {path!r}")
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        self.path = path
        self.max_requests = max_requests
        self.records: collections.deque[RequestRecord] = collections.deque(maxlen=max_requests)
        self._ids = itertools.count(1)

    def _is_own_path(self, path: str) -> bool:
        return path == self.path or path.startswith(self.path + "/")

    async def middleware(self, request: Any, handler: Handler) -> Any:
        path = _safe(lambda: request.path, "")
        if self._is_own_path(path):
            return self._serve(request, path)
        record = RequestRecord(
            id=next(self._ids),
            started=time.time(),
            request_line=_request_line(request),
            method=str(_safe(lambda: request.method, "?")),
            path=str(_safe(lambda: request.path_qs, path)),
            remote=str(_safe(lambda: request.remote, "?")),
            headers=[(k, _clip(v)) for k, v in _headers(request)],
            query=[(k, _clip(v)) for k, v in _query(request)],
        )
        self.records.append(record)
        start = time.perf_counter()
        try:
            response = await handler(request)
        except asyncio.CancelledError:
            record.error = "cancelled (the client went away)"
            raise
        except Exception as exc:
            status = getattr(exc, "status", None)
            if isinstance(status, int):  # an HTTPException: a response, not a crash
                record.status = status
            else:
                record.status = 500
                record.error = f"{type(exc).__qualname__}: {_exc_message(exc)}"
                record.traceback = _clip("".join(traceback.format_exception(exc)), 64 * 1024)
            raise
        else:
            record.status = getattr(response, "status", None)
            return response
        finally:
            record.duration_ms = (time.perf_counter() - start) * 1000.0
            record.route = _route(request)

    # The middleware object is what goes into ``app.middlewares``; mark it new-style.
    middleware.__middleware_version__ = 1  # type: ignore[attr-defined]

    def _serve(self, request: Any, path: str) -> Any:
        if not is_local_request(request):
            raise HTTPNotFound()
        if request.method not in ("GET", "HEAD"):
            raise HTTPMethodNotAllowed(request.method, ["GET", "HEAD"])
        rest = path[len(self.path) :].strip("/")
        headers = {"Cache-Control": "no-store"}
        if rest == "":
            return Response(text=self._list_html(), content_type="text/html", headers=headers)
        if rest == "json":
            return json_response([r.as_dict() for r in reversed(self.records)], headers=headers)
        if rest.isdigit():
            for record in self.records:
                if record.id == int(rest):
                    return Response(
                        text=self._detail_html(record), content_type="text/html", headers=headers
                    )
        raise HTTPNotFound(text=f"request {rest!r} is not (or no longer) recorded")

    def _page(self, title: str, body: str) -> str:
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title><style>{_CSS}"
            ".s5{color:#b3261e;font-weight:700}.s4{color:#a15c00}</style></head><body>"
            f'<header style="background:#2b4c7e"><h1>{html.escape(title)}</h1></header>'
            f"<main>{body}</main></body></html>"
        )

    def _list_html(self) -> str:
        rows = []
        for r in reversed(self.records):
            status = "…" if r.status is None else str(r.status)
            cls = f"s{status[0]}" if status[0] in "45" else ""
            took = "" if r.duration_ms is None else f"{r.duration_ms:.1f} ms"
            rows.append(
                f"<tr><td>{r.id}</td><td>{time.strftime('%H:%M:%S', time.localtime(r.started))}"
                f'</td><td class="{cls}">{status}</td><td>{html.escape(r.method)}</td>'
                f'<td><a href="{html.escape(self.path)}/{r.id}">{html.escape(r.path)}</a></td>'
                f"<td>{took}</td><td>{html.escape(r.error or '')}</td></tr>"
            )
        table = (
            "<table><tr><th>#</th><th>time</th><th>status</th><th>method</th><th>path</th>"
            f"<th>took</th><th>error</th></tr>{''.join(rows)}</table>"
            if rows
            else '<p class="muted">No requests recorded yet.</p>'
        )
        note = (
            f'<p class="muted">The last {self.max_requests} requests, newest first. '
            f'<a href="{html.escape(self.path)}/json">JSON</a></p>'
        )
        return self._page("aioweb request inspector", f"<section>{note}{table}</section>")

    def _detail_html(self, r: RequestRecord) -> str:
        summary = [
            ("request line", r.request_line),
            ("status", "" if r.status is None else str(r.status)),
            ("took", "" if r.duration_ms is None else f"{r.duration_ms:.2f} ms"),
            ("remote", r.remote),
            ("time", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started))),
        ]
        parts = [
            f'<p><a href="{html.escape(self.path)}">&larr; all requests</a></p>',
            f"<section><h2>Summary</h2>{_table(summary)}</section>",
            f"<section><h2>Route</h2>{_table(r.route)}</section>",
            f"<section><h2>Query</h2>{_table(r.query)}</section>",
            f"<section><h2>Headers</h2>{_table(r.headers)}</section>",
        ]
        if r.traceback:
            parts.append(
                f"<section><h2>{html.escape(r.error or '')}</h2>"
                f"<pre>{html.escape(r.traceback)}</pre></section>"
            )
        return self._page(f"Request #{r.id}", "".join(parts))


def find_inspector(app: Any) -> RequestInspector | None:
    """The inspector installed on ``app``, if any."""
    for m in app.middlewares:
        owner = getattr(m, "__self__", None)
        if isinstance(owner, RequestInspector):
            return owner
    return None


def ensure_inspector(app: Any) -> RequestInspector:
    """Install the default inspector unless one is there (debug-mode apps call this)."""
    return find_inspector(app) or setup(app)


def setup(
    app: Any, *, path: str = DEFAULT_INSPECTOR_PATH, max_requests: int = DEFAULT_MAX_REQUESTS
) -> RequestInspector:
    """Install the request inspector as ``app``'s outermost middleware and return it."""
    inspector = RequestInspector(path=path, max_requests=max_requests)
    app.middlewares.insert(0, inspector.middleware)
    return inspector
