"""``aioweb.debug``: the public path of :mod:`aioweb.framework.debug` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.framework.debug import (
    DEFAULT_INSPECTOR_PATH,
    DEFAULT_MAX_REQUESTS,
    RequestInspector,
    RequestRecord,
    error_response,
    is_local_request,
    render_error_html,
    render_error_text,
    setup,
)

__all__ = [
    "DEFAULT_INSPECTOR_PATH",
    "DEFAULT_MAX_REQUESTS",
    "error_response",
    "is_local_request",
    "render_error_html",
    "render_error_text",
    "RequestInspector",
    "RequestRecord",
    "setup",
]
