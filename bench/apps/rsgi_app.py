"""The benchmark application as a bare RSGI app, served by granian (Rust HTTP core).

There is no framework here: a dict for the static paths, then a linear list of compiled
patterns, which is the least any router does.  Same replies as ``app.py``.
Run: ``granian --interface rsgi --loop uvloop bench.apps.rsgi_app:app``.
"""

from __future__ import annotations

import json
import re
from typing import Any

HELLO = b"Hello, World!"
TEXT = [("content-type", "text/plain; charset=utf-8")]
JSON = [("content-type", "application/json; charset=utf-8")]
OCTET = [("content-type", "application/octet-stream")]


async def plaintext(scope: Any, proto: Any, params: dict[str, str]) -> None:
    proto.response_bytes(200, TEXT, HELLO)


async def json_handler(scope: Any, proto: Any, params: dict[str, str]) -> None:
    proto.response_bytes(200, JSON, json.dumps({"message": "Hello, World!"}).encode())


async def user(scope: Any, proto: Any, params: dict[str, str]) -> None:
    proto.response_bytes(200, TEXT, f"user {params['id']}".encode())


async def echo(scope: Any, proto: Any, params: dict[str, str]) -> None:
    body = await proto()
    proto.response_bytes(200, OCTET, body)


async def other(scope: Any, proto: Any, params: dict[str, str]) -> None:
    proto.response_bytes(200, TEXT, b"other")


STATIC = {("GET", f"/static/page{i}"): other for i in range(25)}
STATIC.update({("GET", "/"): plaintext, ("GET", "/json"): json_handler, ("POST", "/echo"): echo})
DYNAMIC = [(re.compile(rf"/api/v{i}/(?P<item>[^/]+)/detail"), other) for i in range(25)]
DYNAMIC.append((re.compile(r"/user/(?P<id>[^/]+)"), user))


async def app(scope: Any, proto: Any) -> None:
    handler = STATIC.get((scope.method, scope.path))
    if handler is not None:
        return await handler(scope, proto, {})
    if scope.method == "GET":
        for pattern, handler in DYNAMIC:
            m = pattern.fullmatch(scope.path)
            if m is not None:
                return await handler(scope, proto, m.groupdict())
    proto.response_bytes(404, TEXT, b"Not Found")
