"""Routing, JSON, redirects, errors, a middleware, a class-based view and a sub-application."""

from __future__ import annotations

import html
import time
from collections.abc import Awaitable, Callable

from aioweb import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TITLE = "Basics: routing, url_for, JSON, redirects, errors, middleware, views, sub-app"
PATH = "/basics/"

routes = web.RouteTableDef()


def page(title: str, body: str) -> web.Response:
    return web.Response(
        text=(
            "<!doctype html><meta charset=utf-8>"
            f"<title>{html.escape(title)}</title>"
            "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;"
            "padding:0 1rem}code{background:#f4f4f4;padding:0 .2rem}</style>"
            f"<p><a href='/'>&larr; all demos</a></p><h1>{html.escape(title)}</h1>{body}"
        ),
        content_type="text/html",
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
        ("/basics/admin/", "a sub-application mounted at /basics/admin"),
    ]
    items = "".join(
        f'<li><a href="{html.escape(u)}">{html.escape(u)}</a>: {t}</li>' for u, t in links
    )
    return page(
        TITLE,
        f"<ul>{items}</ul><p>Every response carries <code>X-Response-Time</code>, set by a "
        "middleware.</p>",
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
    start = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # raised HTTP errors are responses too
        exc.headers["X-Response-Time"] = f"{(time.perf_counter() - start) * 1000:.3f}ms"
        raise
    response.headers["X-Response-Time"] = f"{(time.perf_counter() - start) * 1000:.3f}ms"
    return response


async def admin_index(request: web.Request) -> web.Response:
    url = request.app.router["admin-item"].url_for(item="first")
    return page(
        "Sub-application",
        f"<p>This page is served by a sub-app mounted at <code>/basics/admin</code>.</p>"
        f'<p><a href="{url}">{url}</a> (a route of the sub-app, built with its url_for)</p>',
    )


async def admin_item(request: web.Request) -> web.Response:
    return web.json_response({"item": request.match_info["item"], "app": "admin"})


def setup(app: web.Application) -> None:
    app.router.add_routes(routes)
    app.middlewares.append(timing_middleware)
    admin = web.Application()
    admin.router.add_get("/", admin_index)
    admin.router.add_get("/items/{item}", admin_item, name="admin-item")
    app.add_subapp("/basics/admin", admin)
