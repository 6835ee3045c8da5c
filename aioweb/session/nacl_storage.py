"""``aioweb.session.nacl_storage``: the public path of :mod:`aioweb.integrations.session.nacl_storage`."""

from aioweb.integrations.session.nacl_storage import (
    NaClCookieStorage,
)

__all__ = [
    "NaClCookieStorage",
]
