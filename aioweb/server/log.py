"""aioweb's logger names, defined once.

Users configure logging by these names (``aioweb.access`` and the rest), so they are
part of the public surface and never change; every module that logs imports its logger from
here instead of spelling the name again. The framework's and the integrations' loggers are
here too (a name is only a string: defining it here imports nothing from the layers above),
so the whole list users may configure is in one place.
"""

from __future__ import annotations

import logging

__all__ = [
    "access_logger",
    "broadcast_logger",
    "gridfs_logger",
    "internal_logger",
    "reload_logger",
    "server_logger",
    "session_logger",
    "supervisor_logger",
    "web_logger",
    "websocket_logger",
]

#: Connection and request errors (also used by ``web.Server``).
server_logger = logging.getLogger("aioweb.server")
#: One line per request, when access logging is on.
access_logger = logging.getLogger("aioweb.access")
#: The multi-process supervisor: workers started, stopped, restarted.
supervisor_logger = logging.getLogger("aioweb.supervisor")
#: The code reloader.
reload_logger = logging.getLogger("aioweb.reload")
#: The framework: unhandled handler errors and application warnings (``Application(logger=)``).
web_logger = logging.getLogger("aioweb.web")
#: The GridFS integration: files that fail while sent, aborted uploads not cleaned up.
gridfs_logger = logging.getLogger("aioweb.gridfs")
#: The session integration: session data or cookies that cannot be read.
session_logger = logging.getLogger("aioweb.session")
#: WebSocket sessions: protocol errors of a peer, close handshakes that time out.
websocket_logger = logging.getLogger("aioweb.websocket")
#: The broadcast layer: backend outages, reconnects, dropped slow consumers.
broadcast_logger = logging.getLogger("aioweb.broadcast")
#: aiohttp's ``internal_logger`` under the aiohttp-compatible module paths.
internal_logger = logging.getLogger("aioweb.internal")
