"""aioweb's payloads as request bodies of aiohttp's client.

aiohttp's ``ClientSession`` accepts a body only if its own payload registry knows the type;
it refuses anything else with "Only io.IOBase, multidict and (name, file) pairs allowed".
aioweb's ``Payload`` (``MultipartWriter`` is one) has the same shape, so one adapter type,
registered for aioweb's ``Payload`` base, lets ``session.post(url, data=aioweb_writer)``
stream it.  The test client registers it when it starts (it is aiohttp's client);
applications that use aiohttp's client with aioweb's writer call
``register_aiohttp_payloads()`` once.
"""

from __future__ import annotations

from typing import Any

from aioweb.framework.payloads import Payload

__all__ = ["register_aiohttp_payloads"]

_registered = False


def register_aiohttp_payloads() -> bool:
    """Teach aiohttp's client aioweb's payloads; False when aiohttp is not installed."""
    global _registered
    if _registered:
        return True
    try:
        from aiohttp import payload as aiohttp_payload  # noqa: PLC0415 - optional dependency
    except ImportError:
        return False

    class AiowebPayload(aiohttp_payload.Payload):
        """An aioweb payload seen through aiohttp's Payload interface."""

        def __init__(self, value: Payload, *args: Any, **kwargs: Any) -> None:
            super().__init__(value, headers=value.headers, content_type=value.content_type)
            self._size = value.size

        async def write(self, writer: Any) -> None:
            await self._value.write(writer)

        def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
            return str(self._value.decode(encoding, errors))

        async def close(self) -> None:
            await self._value.close()

    aiohttp_payload.PAYLOAD_REGISTRY.register(
        AiowebPayload, Payload, order=aiohttp_payload.Order.try_first
    )
    _registered = True
    return True
