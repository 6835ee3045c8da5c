"""Routing, JSON, redirects, errors, a middleware, a class-based view and a sub-application.

The index lists endpoints that answer with plain text or JSON (what an API does); a click
shows the answer — status, a few headers, body — in a panel on the page (``tryit.js``), and
the links still work on their own.
"""

from __future__ import annotations

import html
import time
from collections.abc import Awaitable, Callable

from aioweb import web
from demo import layout

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TITLE = "Basics: routing, url_for, JSON, redirects, errors, middleware, views, sub-app"
LABEL = "Basics"
SUMMARY = (
    "Routes with variables and regexes, url_for, JSON, redirects, HTTP errors, a 500 without "
    "a traceback, a timing middleware, a class-based view and a sub-application."
)
PATH = "/basics/"

routes = web.RouteTableDef()
START: web.RequestKey[float] = web.RequestKey("demo_basics_start", float)


def _try_list(links: list[tuple[str, str]]) -> str:
    items = "".join(
        f'<li><a href="{html.escape(u)}" data-try>{html.escape(u)}</a> — {t}</li>' for u, t in links
    )
    return (
        f'<ul class="try">{items}</ul>'
        '<section class="result" id="result" hidden aria-live="polite"></section>'
    )


@routes.get("/basics/", name="basics")
async def basics_index(request: web.Request) -> web.Response:
    router = request.app.router
    hello = router["basics-hello"].url_for(name="world")
    user = router["basics-user"].url_for(user_id="42")
    links = [
        (str(hello), "variable route <code>/basics/hello/{name}</code> (built with url_for)"),
        (str(user), "regex route <code>/basics/users/{user_id:\\d+}</code>"),
        ("/basics/users/abc", "the same route with a non-number: 404"),
        ("/basics/json?q=demo", "JSON response"),
        ("/basics/redirect", "redirect (302) to the hello page"),
        ("/basics/error/418", "an HTTP error raised by a handler"),
        ("/basics/crash", "an unhandled exception: a 500 page without a traceback"),
        ("/basics/view", "class-based view (GET here; POST, PUT or DELETE with curl)"),
    ]
    admin = "/basics/admin/"
    return layout.page(
        request,
        "Basics",
        "<p>Click a link: its answer (status, headers, body) shows below.</p>"
        + _try_list(links)
        + f'<p><a href="{admin}">{admin}</a> is a sub-application mounted at '
        "<code>/basics/admin</code>, with its own router and url_for.</p>"
        "<p>Every response carries <code>X-Response-Time</code>: a middleware notes when the "
        "handler starts, and an <code>on_response_prepare</code> signal stamps the header "
        "when the head is sent — so raised errors, the 500 page and streamed responses "
        "(GridFS files, Server-Sent Events) carry it too.</p>"
        "<pre><code>curl -i -X POST -d a=1 "
        f"{html.escape(str(request.url.origin()))}/basics/view</code></pre>",
        lead="Routing, responses and middleware — aiohttp.web's core, unchanged.",
        scripts=["/static/tryit.js"],
    )


@routes.get("/basics/hello/{name}", name="basics-hello")
async def hello(request: web.Request) -> web.Response:
    return web.Response(text=f"Hello, {request.match_info['name']}!")


@routes.get(r"/basics/users/{user_id:\d+}", name="basics-user")
async def user(request: web.Request) -> web.Response:
    return web.json_response({"id": int(request.match_info["user_id"])})


@routes.get("/basics/json")
async def json_demo(request: web.Request) -> web.Response:
    return web.json_response(
        {"query": dict(request.query), "method": request.method, "path": request.path}
    )


@routes.get("/basics/redirect")
async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.app.router["basics-hello"].url_for(name="redirected"))


@routes.get(r"/basics/error/{status:\d{3}}")
async def error(request: web.Request) -> web.Response:
    status = int(request.match_info["status"])
    if status == 418:
        return web.Response(status=418, text="418: I'm a teapot")
    raise web.HTTPBadRequest(text=f"No demo for status {status}")


@routes.get("/basics/crash")
async def crash(request: web.Request) -> web.Response:
    raise RuntimeError("this is a demo crash")


@routes.view("/basics/view")
class ItemView(web.View):
    async def get(self) -> web.Response:
        return web.json_response({"method": "GET", "hint": "try POST, PUT or DELETE"})

    async def post(self) -> web.Response:
        data = await self.request.post()
        return web.json_response({"method": "POST", "form": dict(data)}, status=201)

    async def put(self) -> web.Response:
        return web.json_response({"method": "PUT"})

    async def delete(self) -> web.Response:
        return web.Response(status=204)


@web.middleware
async def timing_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Note when the handler starts; :func:`stamp_response_time` writes the header."""
    request[START] = time.perf_counter()
    return await handler(request)


async def stamp_response_time(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: runs as any response's head is sent, whoever made it.

    A middleware alone cannot do this: a streamed response (GridFS, SSE) has sent its head
    before the handler returns, and the server's own 500 page is made after the middleware
    has seen the exception go by.
    """
    start = request.get(START)
    if start is not None:
        response.headers["X-Response-Time"] = f"{(time.perf_counter() - start) * 1000:.3f}ms"


async def admin_index(request: web.Request) -> web.Response:
    url = request.app.router["admin-item"].url_for(item="first")
    return layout.page(
        request,
        "Sub-application",
        "<p>This page is served by a sub-app mounted at <code>/basics/admin</code>.</p>"
        + _try_list([(str(url), "a route of the sub-app, built with its url_for")])
        + '<p><a href="/basics/">← Basics</a></p>',
        scripts=["/static/tryit.js"],
    )


async def admin_item(request: web.Request) -> web.Response:
    return web.json_response({"item": request.match_info["item"], "app": "admin"})


def setup(app: web.Application) -> None:
    layout.install(app)
    app.router.add_routes(routes)
    app.middlewares.append(timing_middleware)
    app.on_response_prepare.append(stamp_response_time)
    admin = web.Application()
    admin.router.add_get("/", admin_index)
    admin.router.add_get("/items/{item}", admin_item, name="admin-item")
    app.add_subapp("/basics/admin", admin)
