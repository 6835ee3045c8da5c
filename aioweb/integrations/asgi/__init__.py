"""ASGI both ways: an aioweb application served by any ASGI server (``to_asgi``), and any
ASGI application mounted inside an aioweb application (``ASGIApp``).  See ``docs/asgi.md``."""

from .adapter import ASGIAdapter, to_asgi

__all__ = ["ASGIAdapter", "to_asgi"]
