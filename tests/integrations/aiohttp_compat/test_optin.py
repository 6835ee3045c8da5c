"""The opt-in that serves aiohttp's server-side modules from aioweb (issue 14, item 1).

Each case runs in a fresh interpreter: the opt-in changes ``sys.modules`` for the whole process,
and the point of several tests is what happens when it is *not* called or called too late.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_opt_in_nothing_changes() -> None:
    done = _run(
        """
        import aioweb, aioweb.web_log
        import aiohttp.web
        assert aiohttp.web.Application.__module__ == "aiohttp.web_app", aiohttp.web.Application
        import aiohttp.abc
        assert aiohttp.abc.AbstractView.__module__ == "aiohttp.abc"
        print("ok")
        """
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_opt_in_serves_aioweb_and_keeps_the_client() -> None:
    done = _run(
        """
        from aioweb.integrations import aiohttp_compat
        aiohttp_compat.enable()
        aiohttp_compat.enable()  # idempotent
        import aiohttp, aiohttp.abc
        from aiohttp import web, web_urldispatcher, test_utils
        from aioweb import web as aioweb_web
        assert web.Application is aioweb_web.Application
        assert web_urldispatcher.ResourceRoute is aioweb_web.ResourceRoute
        assert aiohttp.web.HTTPNotFound is aioweb_web.HTTPNotFound
        assert aiohttp.abc.AbstractView is aioweb_web.AbstractView
        assert test_utils.TestServer.__module__.startswith("aioweb")
        assert aiohttp.ClientSession.__module__ == "aiohttp.client"  # the client is aiohttp's
        print("ok")
        """
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_half_applied_state_is_refused() -> None:
    done = _run(
        """
        import aiohttp.web
        from aioweb.integrations import aiohttp_compat
        try:
            aiohttp_compat.enable()
        except aiohttp_compat.AiohttpServerAlreadyImported as exc:
            print("refused:", exc)
        """
    )
    assert "refused:" in done.stdout, done.stderr
    assert "aiohttp.web" in done.stdout and "before" in done.stdout


def test_a_plugin_served_by_aioweb_on_a_real_socket() -> None:
    """aiohttp's own ``json_response`` helper, as plugin code calls it, answers on aioweb."""
    done = _run(
        """
        from aioweb.integrations import aiohttp_compat
        aiohttp_compat.enable()
        import asyncio, aiohttp
        from aiohttp import web

        async def handler(request: web.Request) -> web.Response:
            if request.query.get("fail"):
                raise web.HTTPTeapot() if hasattr(web, "HTTPTeapot") else web.HTTPConflict()
            route = request.match_info.route
            return web.json_response({"resource": route.resource.canonical})

        async def main() -> None:
            app = web.Application()
            app.router.add_get("/items/{id}", handler)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/items/3") as resp:
                    print(resp.status, await resp.json(), web.Application.__module__.split(".")[0])
                async with session.get(f"http://127.0.0.1:{port}/items/3?fail=1") as resp:
                    print(resp.status)
            await runner.cleanup()

        asyncio.run(main())
        """
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "200 {'resource': '/items/{id}'} aioweb", done.stderr
    assert lines[1] == "409"


def test_exception_classes_named_as_aiohttp_names_them_only_under_the_opt_in() -> None:
    """Tools name an exception ``type.__module__ + qualname`` (OpenTelemetry's ``exception.type``,
    Sentry, traceback's last line): under the opt-in that is aiohttp's path; the class still
    pickles by that name, its source is still found, and without the opt-in nothing changes."""
    done = _run(
        """
        import inspect, pickle, traceback
        import aioweb.web as aw
        assert aw.HTTPNotFound.__module__ == "aioweb.framework.exceptions"
        from aioweb.integrations import aiohttp_compat
        aiohttp_compat.enable()
        from aiohttp import web
        assert web.HTTPBadGateway.__module__ == "aiohttp.web_exceptions"
        assert web.HTTPException.__module__ == "aiohttp.web_exceptions"
        assert pickle.loads(pickle.dumps(web.HTTPNotFound)) is aw.HTTPNotFound
        assert repr(web.HTTPNotFound(reason="gone")) == "<HTTPNotFound: gone>"
        assert "status_code = 502" in inspect.getsource(web.HTTPBadGateway)
        try:
            raise web.HTTPBadGateway()
        except web.HTTPError:
            print(traceback.format_exc().splitlines()[-1])
        from aioweb.framework.exceptions import UndecodableRequestBody
        print(UndecodableRequestBody.__module__)  # aioweb's own: no aiohttp name to give
        """
    )
    assert done.stdout.splitlines() == [
        "aiohttp.web_exceptions.HTTPBadGateway: Bad Gateway",
        "aioweb.framework.exceptions",
    ], done.stderr


def test_exception_classes_keep_aiohttps_names_without_the_opt_in() -> None:
    done = _run(
        """
        import aioweb, aioweb.web as aw, aioweb.web_exceptions
        import aiohttp.web
        assert aw.HTTPNotFound.__module__ == "aioweb.framework.exceptions"
        assert aiohttp.web.HTTPNotFound.__module__ == "aiohttp.web_exceptions"
        assert aiohttp.web.HTTPNotFound is not aw.HTTPNotFound
        print("ok")
        """
    )
    assert done.stdout.strip() == "ok", done.stderr
