"""The plugins benchmark's application (bench/bench_plugins.py), written against ``aiohttp.web``.

Imported only after the framework is chosen: on aioweb the benchmark process has called
``aioweb.integrations.aiohttp_compat.enable()`` first, so ``aiohttp.web`` here is aioweb's.
Module-level names, because aiohttp-pydantic resolves the handlers' annotations in the module.
"""

from __future__ import annotations

import aiohttp_cors
from aiohttp import web
from aiohttp_pydantic import PydanticView
from pydantic import BaseModel, Field

ORIGIN = "https://example.org"
ITEMS = [{"id": i, "name": f"item {i}", "price": i + 0.5} for i in range(20)]


class NewItem(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    price: float = Field(gt=0)


class ItemsView(PydanticView):
    async def get(self, limit: int = 10) -> web.Response:
        return web.json_response(ITEMS[:limit])

    async def post(self, item: NewItem) -> web.Response:
        return web.json_response({"id": 0, **item.model_dump()}, status=201)


def build_app() -> web.Application:
    app = web.Application()
    cors = aiohttp_cors.setup(app)
    rule = aiohttp_cors.ResourceOptions(allow_headers=("Content-Type",), max_age=600)
    resource = cors.add(app.router.add_resource("/api/items"))
    for method in ("GET", "POST"):
        cors.add(resource.add_route(method, ItemsView), {ORIGIN: rule})
    return app
