"""``aioweb.asgi``: the public path of :mod:`aioweb.integrations.asgi` (``to_asgi``, and
``ASGIApp`` to mount an ASGI application inside an aioweb one).  See ``docs/asgi.md``."""

from aioweb.integrations.asgi import ASGIAdapter, ASGIApp, to_asgi

__all__ = ["ASGIAdapter", "ASGIApp", "to_asgi"]
