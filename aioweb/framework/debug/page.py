"""The debug error page: a traceback with local variables, next to the request that failed.

Rendered only in debug mode, in place of the server's bare 500: HTML for browsers, plain text
for ``curl`` and the like.  Every accessor of the request is guarded (``_safe``), so an odd
request never makes the page itself fail.
"""

from __future__ import annotations

import functools
import html
import itertools
import linecache
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any

from aioweb.framework.response import Response

__all__ = ["error_response", "render_error_html", "render_error_text"]

_CONTEXT_LINES = 4
_MAX_REPR = 400
_MAX_LOCALS = 60
# Frames inside aioweb itself are shown dimmed: the bug is almost always in the app's code.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep


# -- safe accessors: the debug page must never fail because the request is odd --------------


def _safe(fn: Callable[[], Any], default: Any = None) -> Any:
    try:
        return fn()
    except Exception:
        return default


def _exc_message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return "<str() failed>"


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break the page
        text = f"<repr failed: {type(exc).__name__}>"
    if len(text) > _MAX_REPR:
        text = text[:_MAX_REPR] + f"... ({len(text)} chars)"
    return text


def _request_line(request: Any) -> str:
    method = _safe(lambda: request.method, "?")
    target = _safe(lambda: request.raw_path, None) or _safe(lambda: request.path_qs, "?")
    version = _safe(lambda: request.version, None)
    if version is not None and hasattr(version, "major"):
        return f"{method} {target} HTTP/{version.major}.{version.minor}"
    if isinstance(version, tuple) and len(version) == 2:
        return f"{method} {target} HTTP/{version[0]}.{version[1]}"
    return f"{method} {target}"


def _headers(request: Any) -> list[tuple[str, str]]:
    headers = _safe(lambda: request.headers, {}) or {}
    return [(str(k), str(v)) for k, v in _safe(lambda: list(headers.items()), [])]


def _query(request: Any) -> list[tuple[str, str]]:
    query = _safe(lambda: request.query, {}) or {}
    return [(str(k), str(v)) for k, v in _safe(lambda: list(query.items()), [])]


def _route(request: Any) -> list[tuple[str, str]]:
    """What the router decided: resource, route name, handler and path parameters."""
    info = _safe(lambda: request.match_info)
    if info is None:
        return [("route", "(not resolved)")]
    rows: list[tuple[str, str]] = []
    route = _safe(lambda: info.route)
    if route is not None:
        resource = _safe(lambda: route.resource)
        canonical = _safe(lambda: resource.canonical) if resource is not None else None
        rows.append(("method", str(_safe(lambda: route.method, "?"))))
        rows.append(("resource", str(canonical if canonical is not None else resource)))
        name = _safe(lambda: route.name) or _safe(lambda: resource.name)
        if name:
            rows.append(("name", str(name)))
        handler = _safe(lambda: route.handler)
        if handler is not None:
            qual = getattr(handler, "__qualname__", None) or type(handler).__qualname__
            rows.append(("handler", f"{getattr(handler, '__module__', '?')}.{qual}"))
    params = _safe(lambda: dict(info), {})
    for key, value in params.items():
        rows.append((f"match_info[{key!r}]", str(value)))
    http_exc = _safe(lambda: info.http_exception)
    if http_exc is not None:
        rows.append(("router result", f"{type(http_exc).__name__}"))
    return rows or [("route", str(info))]


# -- the traceback ----------------------------------------------------------------------------


@dataclass
class _Frame:
    filename: str
    lineno: int
    name: str
    lines: list[tuple[int, str]]
    local_vars: list[tuple[str, str]]
    is_library: bool


@dataclass
class _ExceptionInfo:
    type_name: str
    message: str
    frames: list[_Frame]
    link: str = ""  # how it chains to the next (outer) exception


def _frames(tb: TracebackType | None) -> list[_Frame]:
    frames: list[_Frame] = []
    prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
    while tb is not None:
        frame: FrameType = tb.tb_frame
        filename = frame.f_code.co_filename
        lineno = tb.tb_lineno
        start = max(1, lineno - _CONTEXT_LINES)
        lines = []
        for n in range(start, lineno + _CONTEXT_LINES + 1):
            text = linecache.getline(filename, n, frame.f_globals)
            if text:
                lines.append((n, text.rstrip("\n")))
        local_vars = [
            (name, _short_repr(value))
            for name, value in itertools.islice(frame.f_locals.items(), _MAX_LOCALS)
        ]
        frames.append(
            _Frame(
                filename=filename,
                lineno=lineno,
                name=frame.f_code.co_name,
                lines=lines,
                local_vars=local_vars,
                is_library="site-packages" in filename
                or filename.startswith(prefixes)
                or filename.startswith(_PACKAGE_DIR),
            )
        )
        tb = tb.tb_next
    return frames


def _exception_chain(exc: BaseException) -> list[_ExceptionInfo]:
    """The exception and its causes, innermost cause first, as Python prints them."""
    chain: list[_ExceptionInfo] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(
            _ExceptionInfo(
                type_name=type(current).__qualname__,
                message=_safe(functools.partial(str, current), "<str() failed>"),
                frames=_frames(current.__traceback__),
                link=link,
            )
        )
        if current.__cause__ is not None:
            link = "The above exception was the direct cause of the following exception:"
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            link = "During handling of the above exception, another exception occurred:"
            current = current.__context__
        else:
            current = None
    # Innermost first; each entry's link now says how it leads to the entry after it.
    chain.reverse()
    return chain


def render_error_text(request: Any, exc: BaseException) -> str:
    """A plain-text report: the traceback as Python prints it, then the request."""
    parts = ["".join(traceback.format_exception(exc)).rstrip(), "", _request_line(request)]
    parts.extend(f"{k}: {v}" for k, v in _headers(request))
    return "\n".join(parts) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#f6f6f8}
header{background:#b3261e;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}header p{margin:6px 0 0;font-family:monospace;
white-space:pre-wrap;word-break:break-word}
main{padding:16px 28px}section{background:#fff;border:1px solid #ddd;border-radius:6px;
margin:0 0 16px;padding:10px 16px}h2{font-size:16px;margin:6px 0 10px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;vertical-align:top;
padding:3px 8px;border-bottom:1px solid #eee;font-family:monospace;font-size:13px;
word-break:break-word}th{color:#555;font-weight:600}.kv th{width:22%}
.frame{border-left:4px solid #b3261e;margin:10px 0;padding:4px 10px;background:#fff}
.frame.lib{border-left-color:#bbb;opacity:.8}.loc{font-family:monospace;font-size:13px}
pre{margin:4px 0;background:#272822;color:#f8f8f2;padding:8px;overflow:auto;font-size:12.5px}
.hl{background:#7a2e2b;display:block}.link{font-style:italic;color:#555;margin:14px 0}
.muted{color:#777}
"""


def _table(rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="kv">{body}</table>' if body else '<p class="muted">(none)</p>'


def _frame_html(frame: _Frame, last: bool = False) -> str:
    code = "".join(
        (f'<span class="hl">{n:>5} {html.escape(t)}</span>' if n == frame.lineno else "")
        or f"{n:>5} {html.escape(t)}\n"
        for n, t in frame.lines
    )
    local_rows = _table(frame.local_vars)
    return (
        f'<div class="frame{" lib" if frame.is_library else ""}">'
        f'<div class="loc">{html.escape(frame.filename)}, line {frame.lineno}, '
        f"in <b>{html.escape(frame.name)}</b></div>"
        f"<pre>{code}</pre>"
        f"<details{' open' if last else ''}><summary>locals ({len(frame.local_vars)})</summary>"
        f"{local_rows}</details>"
        "</div>"
    )


def render_error_html(request: Any, exc: BaseException) -> str:
    """The debug page: exception, traceback with source and locals, request and route."""
    chain = _exception_chain(exc)
    tb_html = []
    for info in chain:
        tb_html.append(
            f"<h2>{html.escape(info.type_name)}: {html.escape(info.message)}</h2>"
            + "".join(
                _frame_html(f, last=i == len(info.frames) - 1) for i, f in enumerate(info.frames)
            )
        )
        if info.link:
            tb_html.append(f'<p class="link">{html.escape(info.link)}</p>')
    cookies = _safe(lambda: list(request.cookies.items()), []) or []
    env = [
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("time", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("remote", str(_safe(lambda: request.remote, "?"))),
    ]
    request_line = _request_line(request)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(type(exc).__qualname__)} at "
        f"{html.escape(str(_safe(lambda: request.path, '?')))}</title>"
        f"<style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(type(exc).__qualname__)}</h1>"
        f"<p>{html.escape(_safe(lambda: str(exc), ''))}</p>"
        f"<p>{html.escape(request_line)}</p></header><main>"
        '<section><h2>Traceback <span class="muted">(most recent call last)</span></h2>'
        f"{''.join(tb_html)}</section>"
        f"<section><h2>Request</h2>{_table([('request line', request_line)])}</section>"
        f"<section><h2>Route</h2>{_table(_route(request))}</section>"
        f"<section><h2>Query</h2>{_table(_query(request))}</section>"
        f"<section><h2>Headers</h2>{_table(_headers(request))}</section>"
        f"<section><h2>Cookies</h2>{_table((str(k), str(v)) for k, v in cookies)}</section>"
        f"<section><h2>Environment</h2>{_table(env)}</section>"
        '<p class="muted">Shown because the application runs in debug mode. '
        "Never enable debug mode in production.</p></main></body></html>"
    )


def _wants_html(request: Any) -> bool:
    accept = _safe(lambda: request.headers.get("Accept", ""), "") or ""
    return "text/html" in accept or "application/xhtml" in accept


def error_response(request: Any, exc: BaseException) -> Response:
    """The 500 response of a debug-mode application.

    Browsers (``Accept: text/html``) get the HTML page, other clients the plain-text traceback.
    If rendering itself fails, the plain traceback of the original error is still returned.
    """

    try:
        if _wants_html(request):
            body, ctype = render_error_html(request, exc), "text/html"
        else:
            body, ctype = render_error_text(request, exc), "text/plain"
    except Exception:
        body = "".join(traceback.format_exception(exc))
        ctype = "text/plain"
    response = Response(status=500, text=body, content_type=ctype)
    response.headers["Cache-Control"] = "no-store"
    return response
