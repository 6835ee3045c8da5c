"""Jinja2 templates through ``aioweb.jinja2`` (aiohttp_jinja2's API)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import jinja2

import aioweb.jinja2 as aiohttp_jinja2
from aioweb import web
from demo import layout

TITLE = "Templates (Jinja2)"
LABEL = "Templates"
SUMMARY = (
    "Jinja2 through aiohttp_jinja2's API: @template on a function and on a class-based "
    "view, autoescaping, a custom filter, context processors and async templates."
)
PATH = "/templates/"

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@aiohttp_jinja2.template("index.jinja2")
def index(request: web.Request) -> dict[str, Any]:
    # A plain (non-async) function, as on the 0.17 usage page.
    return {"says": request.query.get("says", ""), "fruits": ["apple", "kiwi", "plum"]}


async def lucky() -> int:
    await asyncio.sleep(0)  # an async environment may await inside templates
    return 7


class Greet(web.View):
    @aiohttp_jinja2.template("greet.jinja2")
    async def get(self) -> dict[str, Any]:
        return {"name": self.request.match_info["name"], "lucky": lucky}


async def clock_processor(request: web.Request) -> dict[str, Any]:
    return {"now": time.strftime("%H:%M:%S")}


def setup(app: web.Application) -> None:
    layout.install(app)
    sub = web.Application()
    env = aiohttp_jinja2.setup(
        sub,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        enable_async=True,
        context_processors=[aiohttp_jinja2.request_processor, clock_processor],
        filters={"shout": lambda s: str(s).upper() + "!"},
    )
    env.globals["demo_nav"] = layout.nav_items  # the demo's header, in this environment too
    env.globals["hot_path"] = layout.hot_path  # and its footer
    sub.router.add_get("/", index, name="tmpl-index")
    sub.router.add_view("/greet/{name}", Greet, name="tmpl-greet")
    app.add_subapp(PATH.rstrip("/"), sub)
