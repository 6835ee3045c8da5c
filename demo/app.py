"""The demo application: a landing page and one page per feature, in one shared layout.

Each module in ``demo/pages/`` defines ``TITLE``, ``PATH`` and ``setup(app)``, and may define
``LABEL`` (its short name in the navigation) and ``SUMMARY`` (a sentence for the landing
page); they are found and mounted here, in name order, with ``basics`` first.  A page whose
optional dependency is missing is listed with the reason instead of breaking the demo (the
layout itself needs Jinja2, which the ``demo`` extra installs).
"""

from __future__ import annotations

import importlib
import pkgutil

from aioweb import web

from . import layout, pages
from .layout import PAGES_KEY, PageInfo

__all__ = ["PAGES_KEY", "PageInfo", "build_app"]


def _page_modules() -> list[str]:
    names = sorted(
        m.name for m in pkgutil.iter_modules(pages.__path__) if not m.name.startswith("_")
    )
    if "basics" in names:
        names.remove("basics")
        names.insert(0, "basics")
    return names


def build_app() -> web.Application:
    app = web.Application(middlewares=[layout.html_not_found])
    layout.install(app)
    app.router.add_get("/", layout.home, name="index")
    infos: list[PageInfo] = []
    for name in _page_modules():
        try:
            module = importlib.import_module(f"{pages.__name__}.{name}")
            module.setup(app)
        except ImportError as exc:  # an optional extra is not installed
            infos.append(PageInfo(name.capitalize(), "", problem=str(exc)))
            continue
        infos.append(
            PageInfo(
                module.TITLE,
                module.PATH,
                label=getattr(module, "LABEL", ""),
                summary=getattr(module, "SUMMARY", ""),
            )
        )
    app[PAGES_KEY] = infos
    return app
