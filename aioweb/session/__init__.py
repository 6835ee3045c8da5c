"""``aioweb.session``: the public path of :mod:`aioweb.integrations.session` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.integrations.session import (
    SESSION_KEY,
    STORAGE_KEY,
    AbstractStorage,
    EncryptedCookieStorage,
    Session,
    SessionData,
    SimpleCookieStorage,
    get_session,
    new_session,
    session_middleware,
    setup,
)

__all__ = [
    "AbstractStorage",
    "EncryptedCookieStorage",
    "get_session",
    "new_session",
    "Session",
    "SessionData",
    "SESSION_KEY",
    "session_middleware",
    "setup",
    "SimpleCookieStorage",
    "STORAGE_KEY",
]
