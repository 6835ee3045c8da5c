"""``aioweb.proxy``: the public path of :mod:`aioweb.integrations.proxy` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.integrations.proxy import (
    ForwardedError,
    Forwarding,
    TrustedProxies,
    parse_forwarded,
    parse_node,
    peer_trusted,
    proxy_middleware,
    resolve_forwarded,
    resolve_x_forwarded,
    setup,
)

__all__ = [
    "ForwardedError",
    "Forwarding",
    "parse_forwarded",
    "parse_node",
    "peer_trusted",
    "proxy_middleware",
    "resolve_forwarded",
    "resolve_x_forwarded",
    "setup",
    "TrustedProxies",
]
