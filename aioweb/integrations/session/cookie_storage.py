"""Storages that keep the whole session inside the cookie.

``SimpleCookieStorage`` stores plain JSON: readable *and forgeable* by the client, so for tests
and demos only. ``EncryptedCookieStorage`` encrypts and authenticates it with Fernet
(AES-128-CBC + HMAC-SHA256 with a timestamp), so a client can neither read nor alter it, and the
timestamp lets an old cookie expire server-side even if the browser keeps it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Protocol

from aioweb.integrations.session._session import Session
from aioweb.integrations.session.storage import DEFAULT_COOKIE_NAME, AbstractStorage
from aioweb.server.log import session_logger as log

__all__ = ("EncryptedCookieStorage", "SimpleCookieStorage", "derive_fernet_key")


MIN_SECRET_BYTES = 16
_HKDF_INFO = b"aioweb.session EncryptedCookieStorage fernet key v1"


class _FernetLike(Protocol):
    def encrypt(self, data: bytes) -> bytes: ...

    def decrypt(self, token: bytes | str, ttl: int | None = None) -> bytes: ...


class SimpleCookieStorage(AbstractStorage):
    """Plain-JSON cookie storage. The client can read and edit it: never use in production."""

    def __init__(self, *, cookie_name: str = DEFAULT_COOKIE_NAME, **kwargs: Any) -> None:
        super().__init__(cookie_name=cookie_name, **kwargs)

    async def load_session(self, request: Any) -> Session:
        cookie = self.load_cookie(request)
        if cookie is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        data = self._decode(cookie)
        return Session(None, data=data, new=data is None, max_age=self.max_age)

    async def save_session(self, request: Any, response: Any, session: Session) -> None:
        data = self._get_session_data(session)
        cookie = self._encoder(data) if data else ""
        self.save_cookie(response, cookie, max_age=session.max_age)


def derive_fernet_key(secret: bytes) -> bytes:
    """Stretch a raw secret of any length >= 16 bytes into a url-safe base64 Fernet key.

    HKDF-SHA256 (RFC 5869) is the right tool because the input is already a random key, not a
    password: it only has to be spread over Fernet's 32 bytes (16 signing + 16 encryption).
    """
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 (optional dependency)
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415 (optional dependency)

    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(
            f"session secret key must be at least {MIN_SECRET_BYTES} bytes, got {len(secret)}"
        )
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret)
    return base64.urlsafe_b64encode(raw)


def _is_fernet_key(key: bytes) -> bool:
    if len(key) != 44:
        return False
    try:
        return len(base64.urlsafe_b64decode(key)) == 32
    except (binascii.Error, ValueError):
        return False


def _make_fernet(secret_key: Any) -> _FernetLike:
    """Accept every key form people pass, mapping each to one Fernet deterministically.

    * a ``Fernet``/``MultiFernet`` (anything with ``encrypt``/``decrypt``): used as is;
    * 32 raw bytes: base64-encoded, exactly as aiohttp_session does (cookies stay compatible);
    * a Fernet key (44 url-safe base64 chars, ``Fernet.generate_key()``), bytes or str;
    * any other bytes/str of at least 16 bytes, e.g. the 0.17 page's ``b'Sixteen byte key'``:
      derived with HKDF-SHA256 (aiohttp_session rejects these).
    """
    from cryptography import fernet  # noqa: PLC0415 (optional dependency)

    if hasattr(secret_key, "encrypt") and hasattr(secret_key, "decrypt"):
        return secret_key  # type: ignore[no-any-return]
    if isinstance(secret_key, str):
        secret_key = secret_key.encode("utf-8")
    if not isinstance(secret_key, bytes | bytearray | memoryview):
        raise TypeError(
            "secret_key must be bytes, str or a cryptography Fernet/MultiFernet, "
            f"not {type(secret_key).__name__}"
        )
    secret = bytes(secret_key)
    if _is_fernet_key(secret):
        return fernet.Fernet(secret)
    if len(secret) == 32:
        return fernet.Fernet(base64.urlsafe_b64encode(secret))
    return fernet.Fernet(derive_fernet_key(secret))


class EncryptedCookieStorage(AbstractStorage):
    """Encrypted, authenticated cookie storage (Fernet).

    A cookie that fails to decrypt (tampered, produced with another key, truncated) or that is
    older than ``max_age`` yields a fresh, empty session, never an error response.
    """

    def __init__(
        self,
        secret_key: bytes | bytearray | str | Any,
        *,
        cookie_name: str = DEFAULT_COOKIE_NAME,
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool = True,
        samesite: str | None = None,
        encoder: Callable[[object], str] = json.dumps,
        decoder: Callable[[str], Any] = json.loads,
    ) -> None:
        super().__init__(
            cookie_name=cookie_name,
            domain=domain,
            max_age=max_age,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            encoder=encoder,
            decoder=decoder,
        )
        self._fernet = _make_fernet(secret_key)

    async def load_session(self, request: Any) -> Session:
        from cryptography.fernet import InvalidToken  # noqa: PLC0415 (optional dependency)

        cookie = self.load_cookie(request)
        if cookie is None:
            return Session(None, data=None, new=True, max_age=self.max_age)
        try:
            plain = self._fernet.decrypt(cookie.encode("utf-8"), ttl=self.max_age)
            text = plain.decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError, TypeError):
            log.warning("cannot decrypt session cookie, starting a fresh session")
            return Session(None, data=None, new=True, max_age=self.max_age)
        data = self._decode(text)
        return Session(None, data=data, new=data is None, max_age=self.max_age)

    async def save_session(self, request: Any, response: Any, session: Session) -> None:
        data = self._get_session_data(session)
        if not data:
            self.save_cookie(response, "", max_age=session.max_age)
            return
        token = self._fernet.encrypt(self._encoder(data).encode("utf-8"))
        self.save_cookie(response, token.decode("ascii"), max_age=session.max_age)
