"""The server layer's logger names, defined once.

Users configure logging by these names (``aioweb.access`` and the rest), so they are
part of the public surface and never change; every module that logs imports its logger from
here instead of spelling the name again.
"""

from __future__ import annotations

import logging

__all__ = ["access_logger", "reload_logger", "server_logger", "supervisor_logger"]

#: Connection and request errors (also used by ``web.Server``).
server_logger = logging.getLogger("aioweb.server")
#: One line per request, when access logging is on.
access_logger = logging.getLogger("aioweb.access")
#: The multi-process supervisor: workers started, stopped, restarted.
supervisor_logger = logging.getLogger("aioweb.supervisor")
#: The code reloader.
reload_logger = logging.getLogger("aioweb.reload")
