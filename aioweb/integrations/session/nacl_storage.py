"""Sessions kept whole in the cookie, sealed with NaCl's secret box (``pip install pynacl``).

The same promise as :class:`~aioweb.integrations.session.cookie_storage.EncryptedCookieStorage`
(the client can neither read nor alter its session) with libsodium's XSalsa20-Poly1305 instead
of Fernet: a random 24-byte nonce per cookie, so two saves of the same data never look alike.
The cookie is the base64 of nonce + ciphertext, as aiohttp_session's ``NaClCookieStorage``
writes it, so cookies pass between the two with the same 32-byte key.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable
from typing import Any

from aioweb.integrations.session._session import Session
from aioweb.integrations.session.storage import DEFAULT_COOKIE_NAME, AbstractStorage
from aioweb.server.log import session_logger as log

__all__ = ("NaClCookieStorage",)


class NaClCookieStorage(AbstractStorage):
    """Cookie storage encrypted and authenticated with ``nacl.secret.SecretBox``.

    ``secret_key`` is the box's key: exactly 32 random bytes (``nacl.utils.random(32)``).
    A cookie that does not decrypt (tampered, another key, not base64) gives a new session.
    """

    def __init__(
        self,
        secret_key: bytes,
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
        try:
            import nacl.secret  # noqa: PLC0415 (optional dependency)
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError("NaClCookieStorage needs PyNaCl: pip install pynacl") from exc
        self._secretbox = nacl.secret.SecretBox(secret_key)

    def empty_session(self) -> Session:
        return Session(None, data=None, new=True, max_age=self.max_age)

    async def load_session(self, request: Any) -> Session:
        import nacl.encoding  # noqa: PLC0415 (optional dependency, present since __init__)
        import nacl.exceptions  # noqa: PLC0415

        cookie = self.load_cookie(request)
        if cookie is None:
            return self.empty_session()
        try:
            plain = self._secretbox.decrypt(cookie.encode(), encoder=nacl.encoding.Base64Encoder)
            text = plain.decode("utf-8")
        except (binascii.Error, ValueError, nacl.exceptions.CryptoError):
            log.warning("cannot decrypt the session cookie, starting a fresh session")
            return self.empty_session()
        data = self._decode(text)
        if data is None:
            return self.empty_session()
        return Session(None, data=data, new=False, max_age=self.max_age)

    async def save_session(self, request: Any, response: Any, session: Session) -> None:
        import nacl.encoding  # noqa: PLC0415 (optional dependency, present since __init__)
        import nacl.utils  # noqa: PLC0415

        if session.empty:
            self.save_cookie(response, "", max_age=session.max_age)
            return
        plain = self._encoder(self._get_session_data(session)).encode("utf-8")
        nonce = nacl.utils.random(self._secretbox.NONCE_SIZE)
        sealed = self._secretbox.encrypt(plain, nonce, encoder=nacl.encoding.Base64Encoder)
        self.save_cookie(response, sealed.decode("ascii"), max_age=session.max_age)
