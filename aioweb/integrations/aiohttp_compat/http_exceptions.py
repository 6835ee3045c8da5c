"""aiohttp's ``aiohttp.http_exceptions`` names, re-exported from their home in the wire layer.

The classes (aiohttp's constructors and texts, on aioweb's :class:`HttpProtocolError`) live in
:mod:`aioweb.http.errors`, so that the framework and the multipart parser can raise them too;
this module keeps the path it had.
"""

from __future__ import annotations

from aioweb.http.errors import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentEncodingError,
    ContentLengthError,
    DecompressSizeError,
    HttpBadRequest,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    PayloadEncodingError,
    TransferEncodingError,
)

__all__ = [
    "BadHttpMessage",
    "BadHttpMethod",
    "BadStatusLine",
    "ContentEncodingError",
    "ContentLengthError",
    "DecompressSizeError",
    "HttpBadRequest",
    "HttpProcessingError",
    "InvalidHeader",
    "InvalidURLError",
    "LineTooLong",
    "PayloadEncodingError",
    "TransferEncodingError",
]
