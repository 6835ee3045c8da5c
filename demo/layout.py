"""The look every demo page shares: one Jinja2 layout, one stylesheet, a favicon.

Pages build their own content and hand it to :func:`page`, which renders it inside
``templates/layout/page.jinja2`` (header with every page as navigation, footer) through
``aioweb.jinja2`` — aiohttp_jinja2's API — with an environment of its own (``LAYOUT``), so the
Templates page keeps its own environment to show off.  :func:`install` is idempotent: a page
module mounted alone on a bare application (as some browser tests do) still gets the layout,
the stylesheet and the favicon.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import aioweb.jinja2 as aiohttp_jinja2
from aioweb import web

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@dataclass(frozen=True)
class PageInfo:
    """One demo page as the navigation and the landing page list it."""

    title: str
    path: str
    label: str = ""
    summary: str = ""
    problem: str | None = None


PAGES_KEY: web.AppKey[list[PageInfo]] = web.AppKey("demo_pages", list)
LAYOUT: web.AppKey[jinja2.Environment] = web.AppKey("demo_layout", jinja2.Environment)


def nav_items(request: web.Request) -> list[dict[str, Any]]:
    """The header's links, the current page marked (``aria-current``) for the stylesheet."""
    items = []
    for info in request.config_dict.get(PAGES_KEY, ()):
        if info.problem:
            continue
        items.append(
            {
                "label": info.label or info.title,
                "path": info.path,
                "active": request.path.startswith(info.path),
            }
        )
    return items


def server_origin(request: web.Request) -> str:
    """The address this server really listens on (the connection's local end), as a URL.

    The socket's own address rather than the Host header: the command shown must reach this
    server whatever port it was started on (``PORT=9000 ./scripts/demo.sh``).
    """
    sockname = request.get_extra_info("sockname")
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host, port = str(sockname[0]), int(sockname[1])
        if ":" in host:
            host = f"[{host}]"
        return f"{request.scheme}://{host}:{port}"
    return str(request.url.origin())


async def favicon(request: web.Request) -> web.FileResponse:
    """Browsers ask for /favicon.ico whatever the page says: answer it, no 404 in the log."""
    response = web.FileResponse(STATIC / "favicon.svg")
    response.content_type = "image/svg+xml"
    return response


def hot_path() -> str:
    """Which hot path serves this page: the footer says it, because a first run of
    ``scripts/demo.sh`` serves pure Python while the modules compile in the background."""
    from aioweb._extensions import compiled_modules

    modes = compiled_modules()
    compiled = sum(modes.values())
    if compiled and compiled == len(modes):
        return f"compiled hot path ({compiled} Cython modules loaded so far)"
    if compiled:
        return f"partly compiled hot path ({compiled} of {len(modes)} modules loaded compiled)"
    return "pure-Python hot path (a first run compiles the modules for the next start)"


def install(app: web.Application) -> None:
    """Give ``app`` the layout's template environment, ``/static/`` and ``/favicon.ico``."""
    if LAYOUT in app:
        return
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(TEMPLATES), app_key=LAYOUT, autoescape=True
    )
    env.globals["demo_nav"] = nav_items
    env.globals["hot_path"] = hot_path
    app.router.add_static("/static", STATIC, name="static")
    app.router.add_get("/favicon.ico", favicon)


def _context(
    request: web.Request, title: str, body: str, head: str, scripts: Iterable[str], lead: str
) -> dict[str, Any]:
    return {
        "title": title,
        "lead": lead,
        "body": Markup(body),
        "head": Markup(head),
        "scripts": list(scripts),
        "request": request,
    }


def render(
    request: web.Request,
    title: str,
    body: str,
    *,
    head: str = "",
    scripts: Iterable[str] = (),
    lead: str = "",
) -> str:
    """``body`` (HTML the page built, its own values escaped) inside the layout, as text.

    For the body of an ``HTTPException`` (``text=..., content_type="text/html"``); see
    :func:`page` for the arguments.
    """
    context = _context(request, title, body, head, scripts, lead)
    return aiohttp_jinja2.render_string("layout/page.jinja2", request, context, app_key=LAYOUT)


def page(
    request: web.Request,
    title: str,
    body: str,
    *,
    status: int = 200,
    head: str = "",
    scripts: Iterable[str] = (),
    lead: str = "",
) -> web.Response:
    """``body`` (HTML the page built, its own values escaped) inside the shared layout.

    ``scripts`` are URLs of static scripts loaded at the end of the page; ``head`` is extra
    markup for ``<head>`` (a page's own stylesheet); ``lead`` is the sentence under the title.
    """
    context = _context(request, title, body, head, scripts, lead)
    return aiohttp_jinja2.render_template(
        "layout/page.jinja2", request, context, app_key=LAYOUT, status=status
    )


@web.middleware
async def html_not_found(request: web.Request, handler: Any) -> web.StreamResponse:
    """A browser that navigates to a wrong URL gets a 404 page in the layout, with the way back.

    Only for requests that ask for HTML (a browser's navigation sends ``Accept: text/html``);
    scripts, API clients and ``curl`` keep the plain ``404: Not Found``.
    """
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if "text/html" not in request.headers.get("Accept", ""):
            raise
        body = (
            f"<p>Nothing is served at <code>{html.escape(request.path)}</code>.</p>"
            '<p>The demo\'s pages are listed on <a href="/">the front page</a> and in the '
            "header above.</p>"
        )
        return page(request, "Not found", body, status=404)


async def home(request: web.Request) -> web.Response:
    """The landing page: what aioweb is, and one card per demo page."""
    return aiohttp_jinja2.render_template(
        "layout/home.jinja2",
        request,
        {"pages": request.config_dict.get(PAGES_KEY, ()), "request": request},
        app_key=LAYOUT,
    )
