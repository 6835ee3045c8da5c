"""Payloads held in memory: bytes, text and JSON (their size is known before sending)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aioweb.framework.payloads.base import Payload

__all__ = ["BytesPayload", "JsonBytesPayload", "JsonPayload", "StringPayload"]


class BytesPayload(Payload):
    """bytes, bytearray or memoryview, sent as they are."""

    _autoclose = True

    def __init__(self, value: bytes | bytearray | memoryview, *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"value argument must be byte-ish, not {type(value)!r}")
        kwargs.setdefault("content_type", "application/octet-stream")
        super().__init__(value, *args, **kwargs)
        self._size = value.nbytes if isinstance(value, memoryview) else len(value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self._value).decode(encoding, errors)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return bytes(self._value)

    async def write(self, writer: Any) -> None:
        await writer.write(self._value)

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:
        value = self._value if content_length is None else self._value[:content_length]
        await writer.write(value)


class StringPayload(BytesPayload):
    """Text, encoded with the charset of its Content-Type (UTF-8 when none is given)."""

    def __init__(
        self,
        value: str,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            charset = _charset_of(content_type) if content_type else None
            encoding = charset or "utf-8"
            if content_type is None:
                content_type = "text/plain; charset=utf-8"
        elif content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(
            value.encode(encoding), *args, encoding=encoding, content_type=content_type, **kwargs
        )

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self._value).decode(self._encoding or encoding, errors)


def _charset_of(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


class JsonPayload(BytesPayload):
    """A value serialized with ``dumps`` (``json.dumps`` by default)."""

    def __init__(
        self,
        value: Any,
        encoding: str = "utf-8",
        content_type: str = "application/json",
        dumps: Callable[[Any], str] = json.dumps,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            dumps(value).encode(encoding),
            *args,
            content_type=content_type,
            encoding=encoding,
            **kwargs,
        )


class JsonBytesPayload(BytesPayload):
    """A value serialized by a ``dumps`` that returns bytes (orjson's)."""

    def __init__(
        self,
        value: Any,
        dumps: Callable[[Any], bytes],
        content_type: str = "application/json",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(dumps(value), *args, content_type=content_type, **kwargs)
