"""One line of application set-up: ``setup_broadcast(app)`` or
``setup_broadcast(app, RedisBackend(url))``.

The layer is created now but started in each worker process (``cleanup_ctx``): with
``workers=N`` the application is built once and forked, and every process must have its own
backend connections and its own node id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aioweb.framework.app import AppKey, Application
from aioweb.framework.request import Request

from .backend import Backend
from .layer import Broadcast

__all__ = ("broadcast_key", "get_broadcast", "setup_broadcast")

broadcast_key: AppKey[Broadcast] = AppKey("aioweb.broadcast", Broadcast)


def setup_broadcast(app: Application, backend: Backend | None = None, **options: Any) -> Broadcast:
    """Install a :class:`Broadcast` layer on ``app`` (in-process unless ``backend`` is given);
    ``options`` go to :class:`Broadcast`. Returns the layer (also ``app[broadcast_key]``)."""
    layer = Broadcast(backend, **options)
    app[broadcast_key] = layer

    async def run_layer(app: Application) -> AsyncIterator[None]:
        await layer.start()
        yield
        await layer.stop()

    app.cleanup_ctx.append(run_layer)
    return layer


def get_broadcast(source: Application | Request) -> Broadcast:
    """The layer of an application, or the one a request's application (or a parent of it,
    for a sub-application's handler) was set up with."""
    try:
        if isinstance(source, Request):
            layer: Broadcast = source.config_dict[broadcast_key]
            return layer
        return source[broadcast_key]
    except KeyError:
        raise RuntimeError("no broadcast layer: call setup_broadcast(app) first") from None
