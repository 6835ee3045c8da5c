"""aioweb.jinja2 on a real server, queried with httpx (an independent client)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import jinja2
import pytest

import aioweb.integrations.jinja2 as aiohttp_jinja2
from aioweb import web


async def fetch(server: Any, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(follow_redirects=False) as client:
        return await client.get(str(server.make_url(path)), **kwargs)


async def test_017_usage_page_example_as_written(aioweb_server, tmp_path: Path) -> None:
    """The 0.17 docs' template example, only the import changed."""
    (tmp_path / "tmpl.jinja2").write_text("Hello {{ name }} {{ surname }}")
    loop = asyncio.get_running_loop()

    class Self:  # the docs wrote `loop=self.loop` inside a test case
        pass

    self = Self()
    self.loop = loop  # type: ignore[attr-defined]

    app = web.Application(loop=self.loop)  # type: ignore[attr-defined]
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(tmp_path)))

    @aiohttp_jinja2.template("tmpl.jinja2")
    def handler(request):
        return {"name": "Andrew", "surname": "Svetlov"}

    app.router.add_route("GET", "/", handler)
    server = await aioweb_server(app)
    resp = await fetch(server, "/")
    assert resp.status_code == 200
    assert resp.text == "Hello Andrew Svetlov"
    assert resp.headers["content-type"] == "text/html; charset=utf-8"


def make_app(templates: dict[str, str], **setup_kwargs: Any) -> web.Application:
    app = web.Application()
    aiohttp_jinja2.setup(app, loader=jinja2.DictLoader(templates), **setup_kwargs)
    return app


async def test_autoescape_on_by_default(aioweb_server) -> None:
    app = make_app({"t.html": "<p>{{ text }}</p>"})

    @aiohttp_jinja2.template("t.html")
    async def handler(request):
        return {"text": request.query["q"]}

    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    resp = await fetch(server, "/", params={"q": "<script>alert('x')</script>"})
    assert resp.text == "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>"


async def test_autoescape_can_be_turned_off(aioweb_server) -> None:
    app = make_app({"t.html": "<p>{{ text }}</p>"}, autoescape=False)
    app.router.add_get("/", aiohttp_jinja2.template("t.html")(lambda r: {"text": "<b>x</b>"}))
    server = await aioweb_server(app)
    assert (await fetch(server, "/")).text == "<p><b>x</b></p>"


async def test_render_template_status_encoding_headers(aioweb_server) -> None:
    app = make_app({"t.html": "Grüße {{ who }}"})

    async def handler(request):
        resp = aiohttp_jinja2.render_template(
            "t.html", request, {"who": "Welt"}, status=201, encoding="latin-1"
        )
        resp.headers["Content-Language"] = "de"
        return resp

    async def text(request):
        return web.Response(text=aiohttp_jinja2.render_string("t.html", request, {"who": "!"}))

    app.router.add_get("/", handler)
    app.router.add_get("/text", text)
    server = await aioweb_server(app)
    resp = await fetch(server, "/")
    assert resp.status_code == 201
    assert resp.headers["content-type"] == "text/html; charset=latin-1"
    assert resp.headers["content-language"] == "de"
    assert resp.content == "Grüße Welt".encode("latin-1")
    resp = await fetch(server, "/text")
    assert resp.text == "Grüße !"
    assert resp.headers["content-type"].startswith("text/plain")


async def test_decorator_on_view_and_handler_class(aioweb_server) -> None:
    app = make_app({"v.html": "{{ kind }}:{{ name }}"})

    class MyView(web.View):
        @aiohttp_jinja2.template("v.html")
        async def get(self):
            return {"kind": "view", "name": self.request.match_info["name"]}

        @aiohttp_jinja2.template("v.html", status=202)
        def post(self):  # a plain method works too
            return {"kind": "view-post", "name": self.request.match_info["name"]}

    class Handlers:
        @aiohttp_jinja2.template("v.html")
        async def greet(self, request):
            return {"kind": "method", "name": request.match_info["name"]}

    app.router.add_view("/view/{name}", MyView)
    app.router.add_get("/method/{name}", Handlers().greet)
    server = await aioweb_server(app)
    assert (await fetch(server, "/view/ann")).text == "view:ann"
    async with httpx.AsyncClient() as client:
        resp = await client.post(str(server.make_url("/view/bob")))
    assert (resp.status_code, resp.text) == (202, "view-post:bob")
    assert (await fetch(server, "/method/cy")).text == "method:cy"


async def test_decorated_handler_may_return_a_response(aioweb_server) -> None:
    app = make_app({"t.html": "never"})

    @aiohttp_jinja2.template("t.html")
    async def handler(request):
        if "go" in request.query:
            raise web.HTTPFound("/elsewhere")
        return web.Response(text="plain", status=203)

    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    resp = await fetch(server, "/")
    assert (resp.status_code, resp.text) == (203, "plain")
    resp = await fetch(server, "/?go=1")
    assert resp.status_code == 302 and resp.headers["location"] == "/elsewhere"


async def test_context_processors_and_filters(aioweb_server) -> None:
    async def user_processor(request):
        return {"user": "alice", "title": "from processor"}

    app = make_app(
        {
            "t.html": "{{ request.path }}|{{ user }}|{{ title }}|{{ 'x' | twice }}|{{ app is defined }}"
        },
        context_processors=[aiohttp_jinja2.request_processor, user_processor],
        filters={"twice": lambda s: s * 2},
    )

    @aiohttp_jinja2.template("t.html")
    async def handler(request):
        return {"title": "from handler"}  # the handler's context wins

    app.router.add_get("/page", handler)
    server = await aioweb_server(app)
    assert (await fetch(server, "/page")).text == "/page|alice|from handler|xx|True"


async def test_async_environment(aioweb_server) -> None:
    async def slow_value():
        await asyncio.sleep(0.01)
        return 42

    app = make_app(
        {"a.html": "{{ value() }}-{% for x in items %}{{ x }}{% endfor %}"}, enable_async=True
    )

    @aiohttp_jinja2.template("a.html")
    async def decorated(request):
        return {"value": slow_value, "items": [1, 2]}

    async def explicit(request):
        return await aiohttp_jinja2.render_template_async(
            "a.html", request, {"value": slow_value, "items": [3]}
        )

    async def wrong(request):
        return aiohttp_jinja2.render_template("a.html", request, {"value": slow_value, "items": []})

    app.router.add_get("/d", decorated)
    app.router.add_get("/e", explicit)
    app.router.add_get("/wrong", wrong)
    server = await aioweb_server(app)
    assert (await fetch(server, "/d")).text == "42-12"
    assert (await fetch(server, "/e")).text == "42-3"
    resp = await fetch(server, "/wrong")  # sync render of an async env: a clear 500
    assert resp.status_code == 500


async def test_errors_are_clear_500s_and_server_survives(aioweb_server) -> None:
    app = make_app({"t.html": "ok"})
    bare = web.Application()

    @aiohttp_jinja2.template("missing.html")
    async def missing(request):
        return {}

    @aiohttp_jinja2.template("t.html")
    async def not_a_mapping(request):
        return ["list"]

    async def no_env(request):
        return aiohttp_jinja2.render_template("t.html", request, {})

    app.router.add_get("/missing", missing)
    app.router.add_get("/notmap", not_a_mapping)
    app.router.add_get("/ok", aiohttp_jinja2.template("t.html")(lambda r: {}))
    bare.router.add_get("/", no_env)
    server = await aioweb_server(app)
    bare_server = await aioweb_server(bare)
    resp = await fetch(server, "/missing")
    assert resp.status_code == 500
    assert "Template 'missing.html' not found" in resp.text
    resp = await fetch(server, "/notmap")
    assert resp.status_code == 500 and "context should be mapping" in resp.text
    resp = await fetch(bare_server, "/")
    assert resp.status_code == 500 and "not initialized" in resp.text
    assert (await fetch(server, "/ok")).text == "ok"


async def test_url_and_static_helpers_and_get_env(aioweb_server) -> None:
    app = make_app(
        {
            "u.html": "{{ url('item', id=7) }} {{ url('item', id='a b', query_={'p': 2}) }} "
            "{{ static('css/x.css') }}"
        }
    )
    app[aiohttp_jinja2.static_root_key] = "/static/"
    assert isinstance(aiohttp_jinja2.get_env(app), jinja2.Environment)
    assert aiohttp_jinja2.get_env(web.Application()) is None

    async def item(request):
        return web.Response(text="item")

    app.router.add_get("/items/{id}", item, name="item")
    app.router.add_get("/", aiohttp_jinja2.template("u.html")(lambda r: {}))
    server = await aioweb_server(app)
    assert (await fetch(server, "/")).text == "/items/7 /items/a%20b?p=2 /static/css/x.css"


async def test_subapp_inherits_parent_environment(aioweb_server) -> None:
    parent = make_app({"t.html": "from parent env: {{ x }}"})
    sub = web.Application()
    sub.router.add_get("/page", aiohttp_jinja2.template("t.html")(lambda r: {"x": 1}))
    parent.add_subapp("/sub", sub)
    server = await aioweb_server(parent)
    assert (await fetch(server, "/sub/page")).text == "from parent env: 1"


async def test_custom_app_key_keeps_two_environments_apart(aioweb_server) -> None:
    other_key = web.AppKey("other_env", jinja2.Environment)
    app = make_app({"t.html": "default"})
    aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"t.html": "other"}), app_key=other_key)
    app.router.add_get("/a", aiohttp_jinja2.template("t.html")(lambda r: {}))
    app.router.add_get("/b", aiohttp_jinja2.template("t.html", app_key=other_key)(lambda r: {}))
    server = await aioweb_server(app)
    assert (await fetch(server, "/a")).text == "default"
    assert (await fetch(server, "/b")).text == "other"


@pytest.mark.parametrize("bad", ["{% for %}", "{{ 1/0 }}"])
async def test_broken_template_is_a_500_not_a_crash(aioweb_server, bad: str) -> None:
    app = make_app({"bad.html": bad, "ok.html": "fine"})
    app.router.add_get("/bad", aiohttp_jinja2.template("bad.html")(lambda r: {}))
    app.router.add_get("/ok", aiohttp_jinja2.template("ok.html")(lambda r: {}))
    server = await aioweb_server(app)
    resp = await fetch(server, "/bad")
    assert resp.status_code == 500
    assert "Traceback" not in resp.text  # not in debug mode
    assert (await fetch(server, "/ok")).text == "fine"


async def test_subapp_page_links_to_parent_routes(aioweb_server) -> None:
    parent = make_app({"t.html": "{{ url('home') }} {{ url('sub-page') }}"})

    async def home(request):
        return web.Response(text="home")

    parent.router.add_get("/", home, name="home")
    sub = web.Application()
    sub.router.add_get("/page", aiohttp_jinja2.template("t.html")(lambda r: None), name="sub-page")
    parent.add_subapp("/sub", sub)
    server = await aioweb_server(parent)
    assert (await fetch(server, "/sub/page")).text == "/ /sub/page"


def test_static_falls_back_to_static_root_url_with_a_deprecation_warning() -> None:
    """aiohttp_jinja2 1.6 still reads app["static_root_url"] (warning); a ported app does too."""
    app = web.Application()
    with pytest.warns(web.NotAppKeyWarning):
        app["static_root_url"] = "/assets/"
    env = jinja2.Environment()
    env.globals.update(aiohttp_jinja2.GLOBAL_HELPERS)
    tmpl = env.from_string("{{ static('app.js') }}")
    with pytest.warns(DeprecationWarning, match="static_root_url"):
        assert tmpl.render(app=app) == "/assets/app.js"
    app[aiohttp_jinja2.static_root_key] = "/static"  # the key wins, without a warning
    assert tmpl.render(app=app) == "/static/app.js"
    with pytest.raises(RuntimeError, match="static root url"):
        tmpl.render(app=web.Application())


@pytest.mark.parametrize("value", [True, None, 1.5])
def test_url_refuses_parts_that_are_not_str_or_int(value: object) -> None:
    env = jinja2.Environment()
    env.globals.update(aiohttp_jinja2.GLOBAL_HELPERS)
    tmpl = env.from_string("{{ url('item', id=v) }}")
    with pytest.raises(TypeError, match="argument value should be str or int"):
        tmpl.render(app=web.Application(), v=value)
