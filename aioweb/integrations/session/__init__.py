"""User sessions, with aiohttp_session's API (``pip install 'aioweb[sessions]'``).

::

    from aioweb import web
    from aioweb.session import get_session, setup
    from aioweb.session.cookie_storage import EncryptedCookieStorage

    async def handler(request):
        session = await get_session(request)
        session["visits"] = session.get("visits", 0) + 1
        return web.Response(text=f"visit #{session['visits']}")

    app = web.Application()
    setup(app, EncryptedCookieStorage(b"Sixteen byte key"))

The middleware loads nothing until a handler asks for the session, and writes the cookie back
only when the session changed. A cookie that is tampered with, expired or unreadable gives the
handler a fresh session: it never turns into an error page.
"""

from __future__ import annotations

from typing import Any

from aioweb.framework.exceptions import HTTPException
from aioweb.framework.middlewares import middleware
from aioweb.framework.response import StreamResponse
from aioweb.framework.types import Handler
from aioweb.integrations.session._session import Session, SessionData
from aioweb.integrations.session.cookie_storage import EncryptedCookieStorage, SimpleCookieStorage
from aioweb.integrations.session.storage import AbstractStorage

__all__ = (
    "AbstractStorage",
    "EncryptedCookieStorage",
    "SESSION_KEY",
    "STORAGE_KEY",
    "Session",
    "SessionData",
    "SimpleCookieStorage",
    "get_session",
    "new_session",
    "session_middleware",
    "setup",
)

# Request-scoped keys (the same strings aiohttp_session uses, so code that peeks at
# ``request["aiohttp_session"]`` keeps working).
SESSION_KEY = "aiohttp_session"
STORAGE_KEY = "aiohttp_session_storage"


def _storage_of(request: Any) -> AbstractStorage:
    storage = request.get(STORAGE_KEY)
    if storage is None:
        raise RuntimeError(
            "Install the session middleware in your application: "
            "aioweb.session.setup(app, storage) or middlewares=[session_middleware(storage)]"
        )
    return storage  # type: ignore[no-any-return]


async def get_session(request: Any) -> Session:
    """The request's session, loaded from its storage on first use."""
    session = request.get(SESSION_KEY)
    if session is None:
        storage = _storage_of(request)
        session = await storage.load_session(request)
        if not isinstance(session, Session):
            raise RuntimeError(f"{type(storage).__name__}.load_session() must return a Session")
        request[SESSION_KEY] = session
    return session  # type: ignore[no-any-return]


async def new_session(request: Any) -> Session:
    """Replace the request's session with a brand-new one.

    Call this at login: a new session (and, for server-side storages, a new key) defeats
    session fixation, where an attacker plants a known session id before the victim logs in.
    """
    storage = _storage_of(request)
    session = await storage.new_session()
    if not isinstance(session, Session) or not session.new:
        raise RuntimeError("Cannot create new session")
    # A new session must be saved even if the handler leaves it empty: that deletes the
    # old cookie.
    session.changed()
    request[SESSION_KEY] = session
    return session


class StorageTypeError(TypeError, RuntimeError):
    """Not a session storage. A TypeError, and a RuntimeError too because aiohttp_session
    raises that: code ported from it that catches RuntimeError keeps working."""


def session_middleware(storage: AbstractStorage) -> Any:
    """A middleware that gives handlers ``get_session`` and saves changed sessions."""

    if not isinstance(storage, AbstractStorage):
        raise StorageTypeError(f"expected an aioweb.session storage, got {type(storage).__name__}")

    @middleware
    async def factory(request: Any, handler: Handler) -> Any:
        request[STORAGE_KEY] = storage
        raised: HTTPException | None = None
        try:
            response = await handler(request)
        except HTTPException as exc:
            # Redirects after login are raised, and they must still carry the cookie.
            response = raised = exc
        if not isinstance(response, StreamResponse):
            raise RuntimeError(f"expected a response, the handler returned {response!r}")
        session = request.get(SESSION_KEY)
        if session is not None and session._changed:
            if response.prepared:
                raise RuntimeError(
                    "cannot save the session into a response that is already sent; "
                    "touch the session before calling response.prepare()"
                )
            await storage.save_session(request, response, session)
        if raised is not None:
            raise raised
        return response

    return factory


def setup(app: Any, storage: AbstractStorage) -> None:
    """Install the session middleware on ``app``."""
    app.middlewares.append(session_middleware(storage))
