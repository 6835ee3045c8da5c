"""The demo application: an index page linking to one page per feature.

Each module in ``demo/pages/`` defines ``TITLE``, ``PATH`` and ``setup(app)``; they are found
and mounted here, in name order, with ``basics`` first.  A page whose optional dependency is
missing is listed with the reason instead of breaking the demo.
"""

from __future__ import annotations

import html
import importlib
import pkgutil
from dataclasses import dataclass

from aioweb import web

from . import pages


@dataclass(frozen=True)
class PageInfo:
    title: str
    path: str
    problem: str | None = None


PAGES_KEY: web.AppKey[list[PageInfo]] = web.AppKey("demo_pages", list)

STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}"
    "li{margin:.3rem 0}.problem{color:#a33}code{background:#f4f4f4;padding:0 .2rem}"
)


async def index(request: web.Request) -> web.Response:
    items = []
    for page in request.app[PAGES_KEY]:
        if page.problem:
            items.append(
                f"<li>{html.escape(page.title)} <span class=problem>"
                f"(unavailable: {html.escape(page.problem)})</span></li>"
            )
        else:
            items.append(
                f'<li><a href="{html.escape(page.path)}">{html.escape(page.title)}</a></li>'
            )
    body = (
        "<!doctype html><meta charset=utf-8><title>aioweb demo</title>"
        f"<style>{STYLE}</style><h1>aioweb demo</h1>"
        "<p>aiohttp's server API, faster, with GridFS built in. Each page below is a small "
        "module in <code>demo/pages/</code>.</p>"
        f"<ul>{''.join(items)}</ul>"
    )
    return web.Response(text=body, content_type="text/html")


def _page_modules() -> list[str]:
    names = sorted(
        m.name for m in pkgutil.iter_modules(pages.__path__) if not m.name.startswith("_")
    )
    if "basics" in names:
        names.remove("basics")
        names.insert(0, "basics")
    return names


def build_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/", index, name="index")
    infos: list[PageInfo] = []
    for name in _page_modules():
        try:
            module = importlib.import_module(f"{pages.__name__}.{name}")
            module.setup(app)
        except ImportError as exc:  # an optional extra is not installed
            infos.append(PageInfo(name, "", problem=str(exc)))
            continue
        infos.append(PageInfo(module.TITLE, module.PATH))
    app[PAGES_KEY] = infos
    return app
