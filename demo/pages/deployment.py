"""Deployment: which worker process answered, and who the client is behind a proxy."""

from __future__ import annotations

import html
import os

from aioweb import web
from aioweb.proxy import ForwardedError, TrustedProxies, resolve_forwarded, resolve_x_forwarded

TITLE = "Deployment: worker processes and trusted proxies"
PATH = "/deployment/"

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
    "text-align:left;vertical-align:top}code,pre{background:#f4f4f4;padding:0 .2rem}"
)

FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")


def _rows(pairs: list[tuple[str, object]]) -> str:
    return "".join(
        f"<tr><th>{html.escape(k)}</th><td><code>{html.escape(str(v))}</code></td></tr>"
        for k, v in pairs
    )


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
        return f"<p>A trusted proxy sending these headers would get a 400: {html.escape(str(exc))}"
    return (
        f"<p>If the peer <code>{html.escape(peer[0])}</code> were a trusted proxy, "
        "the request would be seen as:</p><table>"
        + _rows(
            [
                ("with headers='x-forwarded' (remote, scheme, host)", _change(x_forwarded)),
                ("with headers='forwarded' (remote, scheme, host)", _change(forwarded)),
            ]
        )
        + "</table>"
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
    body = (
        "<!doctype html><meta charset=utf-8><title>Deployment · aioweb demo</title>"
        f"<style>{STYLE}</style><p><a href='/'>demo index</a></p><h1>Deployment</h1>"
        "<h2>This process</h2><table>" + _rows(process) + "</table>"
        "<p>Run the demo on several processes sharing one port, then reload with a fresh "
        "connection (or <code>curl</code>) to see the pid change:</p>"
        "<pre>python -m aioweb demo.app:build_app --workers 2</pre>"
        "<h2>The request as the handler sees it</h2><table>" + _rows(seen) + "</table>"
        "<h2>Forwarding headers received</h2><table>"
        + _rows(raw)
        + "</table>"
        + _if_trusted(request)
        + "<p>Try <code>curl -H 'X-Forwarded-For: 1.2.3.4, 203.0.113.9' "
        "-H 'X-Forwarded-Proto: https' http://127.0.0.1:8080/deployment/</code>: "
        "only the rightmost untrusted address counts. To apply the headers for real, run with "
        "<code>--trusted-proxies 127.0.0.1</code> (see <code>docs/deployment.md</code>).</p>"
    )
    return web.Response(text=body, content_type="text/html")


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, page)
