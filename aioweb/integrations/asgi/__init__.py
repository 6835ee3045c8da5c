"""ASGI both ways: an aioweb application served by any ASGI server (``to_asgi``), and any
ASGI application mounted inside an aioweb application (``ASGIApp``).  See ``docs/asgi.md``."""

from .adapter import ASGIAdapter, to_asgi
from .mount import ASGIApp

__all__ = ["ASGIAdapter", "ASGIApp", "to_asgi"]
