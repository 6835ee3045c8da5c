"""Payloads: response bodies that are not bytes or str (``aioweb.payload`` is this package).

``Response(body=value)`` turns ``value`` into a ``Payload`` through ``PAYLOAD_REGISTRY``: files,
text and binary buffers, async iterators and generators, multipart parts and writers, JSON.
The names are aiohttp's (``aiohttp.payload``), so ported code imports them unchanged.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterable

from aioweb.framework.payloads.base import AbstractStreamWriter, Payload
from aioweb.framework.payloads.memory import (
    BytesPayload,
    JsonBytesPayload,
    JsonPayload,
    StringPayload,
)
from aioweb.framework.payloads.registry import (
    PAYLOAD_REGISTRY,
    LookupError,
    Order,
    PayloadRegistry,
    get_payload,
    payload_type,
    register_payload,
)
from aioweb.framework.payloads.streams import (
    AsyncIterablePayload,
    BodyPartReaderPayload,
    BufferedReaderPayload,
    BytesIOPayload,
    IOBasePayload,
    StringIOPayload,
    TextIOPayload,
)

__all__ = [
    "PAYLOAD_REGISTRY",
    "AbstractStreamWriter",
    "AsyncIterablePayload",
    "BodyPartReaderPayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonBytesPayload",
    "JsonPayload",
    "LookupError",
    "Order",
    "Payload",
    "PayloadRegistry",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "payload_type",
    "register_payload",
]

register_payload(BytesPayload, (bytes, bytearray, memoryview))
register_payload(StringPayload, str)
register_payload(StringIOPayload, io.StringIO)
register_payload(TextIOPayload, io.TextIOBase)
register_payload(BytesIOPayload, io.BytesIO)
register_payload(BufferedReaderPayload, (io.BufferedReader, io.BufferedRandom))
register_payload(IOBasePayload, io.IOBase)
# last: anything async-iterable that nothing more specific claimed
register_payload(AsyncIterablePayload, AsyncIterable, order=Order.try_last)
# (BodyPartReaderPayload is registered by framework/response_body.py, which may import the
# multipart reader: this package is imported by the multipart writer, below that reader.)
