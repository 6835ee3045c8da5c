"""``aioweb.sse``: the public path of :mod:`aioweb.integrations.sse` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.integrations.sse import (
    EventSourceResponse,
    format_event,
    sse_response,
)

__all__ = [
    "EventSourceResponse",
    "format_event",
    "sse_response",
]
