"""Development aids: a traceback page for unhandled errors and a request inspector.

Both exist only in debug mode (``Application(debug=True)`` or ``python -m aioweb --debug``).
In production an unhandled error must reveal nothing (a bare 500); on a developer's machine
the opposite is true: the fastest fix comes from seeing the traceback with its local
variables next to the request that caused it.

* :func:`error_response` renders the page; the server calls it instead of its plain 500 when
  the application is in debug mode. HTML for browsers, plain text for ``curl`` and the like.
* :class:`RequestInspector` keeps the last N requests (line, headers, query, route, status,
  time taken, traceback if any) and shows them at a path (``/_aioweb/requests`` by default).
  It answers only connections from the loopback interface that carry no proxy headers: a
  debug server exposed by mistake must not hand out other users' cookies.

Two modules behind this face: ``page`` (the error page) and ``inspector`` (the request
inspector and ``setup``).
"""

from __future__ import annotations

from aioweb.framework.debug.inspector import (
    DEFAULT_INSPECTOR_PATH,
    DEFAULT_MAX_REQUESTS,
    RequestInspector,
    RequestRecord,
    is_local_request,
    setup,
)
from aioweb.framework.debug.inspector import ensure_inspector as ensure_inspector
from aioweb.framework.debug.inspector import find_inspector as find_inspector
from aioweb.framework.debug.page import error_response, render_error_html, render_error_text

__all__ = (
    "DEFAULT_INSPECTOR_PATH",
    "DEFAULT_MAX_REQUESTS",
    "RequestInspector",
    "RequestRecord",
    "error_response",
    "is_local_request",
    "render_error_html",
    "render_error_text",
    "setup",
)
