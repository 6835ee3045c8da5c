"""``aioweb.session.cookie_storage``: the public path of :mod:`aioweb.integrations.session.cookie_storage` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.integrations.session.cookie_storage import (
    EncryptedCookieStorage,
    SimpleCookieStorage,
    derive_fernet_key,
)

__all__ = [
    "derive_fernet_key",
    "EncryptedCookieStorage",
    "SimpleCookieStorage",
]
