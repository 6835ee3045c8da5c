"""aiohttp's plugins on aioweb, unchanged: CORS by aiohttp-cors, an OpenAPI-documented and
validated JSON API by aiohttp-pydantic, with its Swagger UI.

The plugins import ``aiohttp.web`` and check what they are given against its classes, so they
need :func:`aioweb.integrations.aiohttp_compat.enable` on before they are imported: from then on
``aiohttp.web`` (and aiohttp's other server-side modules) are aioweb's in the process, while
aiohttp's client stays aiohttp's.  That is the one line a ported application adds, first thing;
here ``python -m demo`` (demo/__main__.py) does it.  Without it the page is listed as
unavailable, with the reason (the demo's pages never break the demo).
"""

from __future__ import annotations

import html

from aioweb import web
from aioweb.integrations import aiohttp_compat
from demo import layout

if not aiohttp_compat.enabled():
    # Not turned on here: the opt-in is process-wide, and build_app() also runs inside test
    # sessions, where aiohttp's own server must stay aiohttp's.  ``python -m demo`` turns it on.
    raise ImportError("the opt-in aiohttp_compat.enable() is off (python -m demo turns it on)")

import aiohttp_cors  # after enable(): the plugin's aiohttp.web is aioweb's
from aiohttp_pydantic import PydanticView, oas
from pydantic import BaseModel, Field

TITLE = "aiohttp plugins: CORS (aiohttp-cors) and a validated OpenAPI API (aiohttp-pydantic)"
LABEL = "Plugins"
SUMMARY = (
    "aiohttp-cors and aiohttp-pydantic run unchanged on aioweb: CORS headers, request "
    "validation with 400 answers, an OpenAPI document and its Swagger UI."
)
PATH = "/plugins/"
OAS_PREFIX = "/plugins/oas"
ALLOWED_ORIGIN = "https://example.org"

ITEMS: dict[int, dict[str, object]] = {1: {"id": 1, "name": "teapot", "price": 18.5}}


class NewItem(BaseModel):
    """What a client sends to create an item."""

    name: str = Field(min_length=1, max_length=40)
    price: float = Field(gt=0)


class ItemsView(PydanticView):
    """The items of a small shop: list them, or add one."""

    async def get(self, limit: int = 10) -> web.Response:
        """List items.

        Status Codes:
            200: the items, at most ``limit`` of them
        """
        return web.json_response(list(ITEMS.values())[:limit])

    async def post(self, item: NewItem) -> web.Response:
        """Add an item (the body is validated: a missing or bad field answers 400).

        Status Codes:
            201: the item, with its id
            400: what is wrong with the body
        """
        new = {"id": max(ITEMS, default=0) + 1, **item.model_dump()}
        ITEMS[int(new["id"])] = new  # type: ignore[call-overload]
        return web.json_response(new, status=201)


async def plugins_index(request: web.Request) -> web.Response:
    origin = html.escape(str(request.url.origin()))
    links = [
        ("/plugins/api/items", "the items (GET, documented by aiohttp-pydantic)"),
        ("/plugins/api/items?limit=abc", "a query parameter that is not an int: 400"),
        (f"{OAS_PREFIX}/spec", "the OpenAPI 3 document aiohttp-pydantic builds"),
    ]
    items = "".join(
        f'<li><a href="{html.escape(u)}" data-try>{html.escape(u)}</a> — {t}</li>' for u, t in links
    )
    body = (
        "<p>Click a link: its answer shows below. "
        f'<a href="{OAS_PREFIX}">Swagger UI</a> (aiohttp-pydantic\'s, which loads its scripts '
        "from a CDN) lets you try the API, POST included.</p>"
        f'<ul class="try">{items}</ul>'
        '<section class="result" id="result" hidden aria-live="polite"></section>'
        "<h2>CORS</h2>"
        f"<p>The API answers cross-origin requests from <code>{ALLOWED_ORIGIN}</code> only "
        "(aiohttp-cors, with a preflight for the JSON POST):</p>"
        "<pre><code>curl -i -X OPTIONS -H 'Origin: https://example.org' \\\n"
        "  -H 'Access-Control-Request-Method: POST' \\\n"
        f"  -H 'Access-Control-Request-Headers: content-type' {origin}/plugins/api/items\n"
        'curl -i -H \'Content-Type: application/json\' -d \'{"name": "cup", "price": 4}\' \\\n'
        f"  {origin}/plugins/api/items</code></pre>"
        "<h2>How</h2>"
        "<pre><code>from aioweb.integrations import aiohttp_compat\n"
        "aiohttp_compat.enable()  # first: aiohttp.web is aioweb's from here on\n\n"
        "import aiohttp_cors\n"
        "from aiohttp_pydantic import PydanticView, oas</code></pre>"
    )
    return layout.page(
        request,
        "aiohttp plugins",
        body,
        lead="aiohttp-cors and aiohttp-pydantic, unchanged, on an aioweb application.",
        scripts=["/static/tryit.js"],
    )


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, plugins_index, name="plugins")
    # The API is a sub-application: OpenAPI documents it alone (apps_to_expose), and its CORS
    # rules apply to it alone.
    api = web.Application()
    cors = aiohttp_cors.setup(api)
    rule = aiohttp_cors.ResourceOptions(
        allow_headers=("Content-Type",), expose_headers=("Content-Type",), max_age=600
    )
    # One route per method, not add_view's "*": aiohttp-cors adds the OPTIONS preflight route
    # to the resource, which a "*" route would shadow (the same on aiohttp).
    items = cors.add(api.router.add_resource("/items", name="items"))
    for method in ("GET", "POST"):
        cors.add(items.add_route(method, ItemsView), {ALLOWED_ORIGIN: rule})
    app.add_subapp("/plugins/api/", api)
    oas.setup(app, apps_to_expose=[api], url_prefix=OAS_PREFIX, title_spec="aioweb demo: items API")
