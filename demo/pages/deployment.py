"""Deployment: which worker process answered, and who the client is behind a proxy."""

from __future__ import annotations

import html
import os

from aioweb import web
from aioweb.proxy import ForwardedError, TrustedProxies, resolve_forwarded, resolve_x_forwarded
from demo import layout

TITLE = "Deployment: worker processes and trusted proxies"
LABEL = "Deployment"
SUMMARY = (
    "Which worker process answered (run with --workers 2), and who the client is when a "
    "proxy forwards the request: what aioweb.proxy would trust and why."
)
PATH = "/deployment/"

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")


def _rows(pairs: list[tuple[str, object]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(str(v))}</code></td></tr>"
        for k, v in pairs
    )
    return f'<div class="table-wrap"><table>{rows}</table></div>'


def _change(found: tuple[str | None, ...]) -> object:
    return tuple(found) if any(v is not None for v in found) else "no change"


def _if_trusted(request: web.Request) -> str:
    """What aioweb.proxy would conclude if this connection's peer were a trusted proxy."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    if not isinstance(peer, tuple):
        return "<p>(The connection has no IP peer: trust it with the word <code>unix</code>.)</p>"
    trusted = TrustedProxies(peer[0])
    headers = request.headers
    try:
        x_forwarded = resolve_x_forwarded(
            headers.getall("X-Forwarded-For", ()),
            headers.getall("X-Forwarded-Proto", ()),
            headers.getall("X-Forwarded-Host", ()),
            trusted=trusted,
        )
        forwarded = resolve_forwarded(headers.getall("Forwarded", ()), trusted)
    except ForwardedError as exc:
        return (
            f"<p>A trusted proxy sending these headers would get a 400: {html.escape(str(exc))}</p>"
        )
    return (
        f"<p>If the peer <code>{html.escape(peer[0])}</code> were a trusted proxy, "
        "the request would be seen as:</p>"
        + _rows(
            [
                ("with headers='x-forwarded' (remote, scheme, host)", _change(x_forwarded)),
                ("with headers='forwarded' (remote, scheme, host)", _change(forwarded)),
            ]
        )
    )


async def page(request: web.Request) -> web.Response:
    process = [("worker pid", os.getpid()), ("parent pid", os.getppid())]
    seen = [
        ("request.remote", request.remote),
        ("request.scheme", request.scheme),
        ("request.host", request.host),
        ("request.url", request.url),
    ]
    raw = [
        (name, ", ".join(request.headers.getall(name, ())) or "(absent)")
        for name in FORWARDING_HEADERS
    ]
    origin = html.escape(layout.server_origin(request))
    body = (
        "<h2>This process</h2>" + _rows(process) + "<p>Run the demo on several processes "
        "sharing one port, then reload with a fresh connection (or <code>curl</code>) to see "
        "the pid change:</p><pre><code>python -m aioweb demo.app:build_app --workers 2</code></pre>"
        "<h2>The request as the handler sees it</h2>" + _rows(seen) + "<h2>Forwarding headers "
        "received</h2>" + _rows(raw) + _if_trusted(request) + "<p>Try:</p><pre><code>curl "
        "-H 'X-Forwarded-For: 1.2.3.4, 203.0.113.9' -H 'X-Forwarded-Proto: https' "
        f"{origin}/deployment/</code></pre><p>Only the rightmost untrusted address counts. To "
        "apply the headers for real, run with <code>--trusted-proxies 127.0.0.1</code> (see "
        "<code>docs/deployment.md</code>).</p>"
    )
    return layout.page(
        request,
        "Deployment",
        body,
        lead="Worker processes on one port, and the client's address behind a proxy.",
    )


def setup(app: web.Application) -> None:
    layout.install(app)
    app.router.add_get(PATH, page)
