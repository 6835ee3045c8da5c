"""A small asyncio HTTP/1.1 client: the engine of ``TestClient``, usable on its own.

It covers what tests and simple services need: keep-alive connection reuse, redirects,
cookies, url-encoded/JSON/bytes/streamed (chunked) request bodies, ``Expect: 100-continue``,
and streaming response bodies.  It is not a replacement for a full client library.

The package's modules, one concept each: ``connection`` (the protocol parsing responses),
``response`` (``ClientResponse`` and the request context), ``cookies`` (``CookieJar``) and
``session`` (``ClientSession``).  Names are re-exported here, so ``aioweb.tooling.client``
keeps every name it had.
"""

from __future__ import annotations

from aioweb.tooling.client.connection import ClientConnectionError
from aioweb.tooling.client.connection import _Connection as _Connection
from aioweb.tooling.client.cookies import CookieJar
from aioweb.tooling.client.response import ClientResponse, ClientResponseError
from aioweb.tooling.client.response import _RequestContext as _RequestContext
from aioweb.tooling.client.session import ClientSession

__all__ = [
    "ClientConnectionError",
    "ClientResponse",
    "ClientResponseError",
    "ClientSession",
    "CookieJar",
]
