"""ASGI lifespan events mapped onto an aioweb application's own lifecycle.

``lifespan.startup`` runs what ``AppRunner.setup()`` runs (``on_startup``, then the first half
of each ``cleanup_ctx`` generator; the app is frozen after, as there); ``lifespan.shutdown``
what ``AppRunner.cleanup()`` runs (``on_shutdown``, then ``on_cleanup`` and the second half of
the ``cleanup_ctx`` generators).  A failure is reported as ``*.failed`` with its message, which
makes the ASGI server refuse to start (uvicorn, hypercorn and granian all do).
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable

from aioweb.framework.app import Application

from .connection import Receive, Send

__all__ = ["serve_lifespan"]


async def serve_lifespan(
    app: Application, receive: Receive, send: Send, started: Callable[[], Awaitable[None]]
) -> None:
    """Answer the lifespan protocol until ``lifespan.shutdown`` is done.

    ``started`` is awaited after a successful startup (the adapter builds its server there).
    """
    while True:
        message = await receive()
        kind = message.get("type")
        if kind == "lifespan.startup":
            try:
                app.pre_freeze()
                await app.startup()
                app.freeze()
                await started()
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": _describe(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif kind == "lifespan.shutdown":
            try:
                await app.shutdown()
                await app.cleanup()
            except Exception as exc:
                await send({"type": "lifespan.shutdown.failed", "message": _describe(exc)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


def _describe(exc: BaseException) -> str:
    """The failure as the server will log it: the exception and where it was raised."""
    return "".join(traceback.format_exception(exc)).strip()
