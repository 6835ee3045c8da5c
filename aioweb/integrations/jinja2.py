"""Jinja2 templates, with aiohttp_jinja2's API (``pip install 'aioweb[templates]'``).

::

    import jinja2
    from aioweb import web
    import aioweb.jinja2 as aiohttp_jinja2

    app = web.Application()
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader("templates"))

    @aiohttp_jinja2.template("tmpl.jinja2")
    def handler(request):
        return {"name": "Andrew", "surname": "Svetlov"}

Autoescaping is on unless ``setup`` is told otherwise: a template that prints user input must
not become a script-injection hole by default. With ``setup(..., enable_async=True)`` templates
render with Jinja's async mode (``render_async``), so a template may await async callables; the
``*_async`` functions and the decorator use it then.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import jinja2

from aioweb.framework.app import AppKey, Application
from aioweb.framework.exceptions import HTTPInternalServerError
from aioweb.framework.middlewares import middleware
from aioweb.framework.response import Response, StreamResponse
from aioweb.framework.views import AbstractView

__all__ = (
    "APP_CONTEXT_PROCESSORS_KEY",
    "APP_KEY",
    "GLOBAL_HELPERS",
    "REQUEST_CONTEXT_KEY",
    "context_processors_middleware",
    "get_env",
    "render_string",
    "render_string_async",
    "render_template",
    "render_template_async",
    "request_processor",
    "setup",
    "static_root_key",
    "template",
)

ContextProcessor = Callable[[Any], Awaitable[Mapping[str, Any]]]

APP_KEY: AppKey[jinja2.Environment] = AppKey("APP_KEY", jinja2.Environment)
APP_CONTEXT_PROCESSORS_KEY: AppKey[Iterable[ContextProcessor]] = AppKey(
    "APP_CONTEXT_PROCESSORS_KEY", Iterable
)
static_root_key: AppKey[str] = AppKey("static_root_key", str)
REQUEST_CONTEXT_KEY = "aiohttp_jinja2_context"

F = TypeVar("F", bound=Callable[..., Any])


# -- template globals ------------------------------------------------------------------------


@jinja2.pass_context
def url(context: Mapping[str, Any], __route_name: str, query_: Any = None, **parts: Any) -> str:
    """``{{ url('route-name', id=1, query_={'page': 2}) }}``: reverse a named route.

    Path parts are text or ints (an int is written in decimal); anything else, a bool
    included, is refused as aiohttp_jinja2 does: ``True`` or ``None`` in a URL is a bug in
    the template, not a path segment.
    """
    for key, value in parts.items():
        if not isinstance(value, str) and type(value) is not int:
            raise TypeError(
                f"argument value should be str or int, got {key} -> [{type(value)}] {value!r}"
            )
    app = context["app"]
    try:
        resource = app.router[__route_name]
    except KeyError:
        # A sub-application's page may name a route of the app that owns the environment.
        owner = getattr(context, "environment", None)
        owner_app = owner.globals.get("app") if owner is not None else None
        if owner_app is None or owner_app is app:
            raise
        resource = owner_app.router[__route_name]
    built = resource.url_for(**{k: str(v) for k, v in parts.items()})
    if query_:
        built = built.with_query(query_)
    return str(built)


@jinja2.pass_context
def static(context: Mapping[str, Any], static_file_path: str) -> str:
    """``{{ static('css/site.css') }}``: prefix with ``app[static_root_key]``.

    ``app["static_root_url"]``, the key aiohttp_jinja2 used before ``static_root_key``, is
    still read (with a DeprecationWarning, as aiohttp_jinja2 1.6 does) so that applications
    ported unchanged keep their static URLs.
    """
    app = context["app"]
    try:
        root = app[static_root_key]
    except KeyError:
        try:
            root = app["static_root_url"]
        except KeyError:
            raise RuntimeError(
                "app does not define a static root url, you need to set the url root "
                "with app[aiohttp_jinja2.static_root_key] = '<static root>'."
            ) from None
        warnings.warn(
            "'static_root_url' is deprecated, use aiohttp_jinja2.static_root_key.",
            DeprecationWarning,
            stacklevel=2,
        )
    return "{}/{}".format(root.rstrip("/"), static_file_path.lstrip("/"))


GLOBAL_HELPERS = {"url": url, "static": static}


# -- setup -------------------------------------------------------------------------------------


def setup(
    app: Application,
    *args: Any,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    context_processors: Iterable[ContextProcessor] = (),
    filters: Mapping[str, Callable[..., Any]] | None = None,
    default_helpers: bool = True,
    **kwargs: Any,
) -> jinja2.Environment:
    """Create the app's Jinja2 environment (arguments as ``jinja2.Environment``) and return it.

    ``context_processors`` are coroutines ``(request) -> dict`` whose results every template
    rendered for that request sees; installing any adds :func:`context_processors_middleware`.
    """
    kwargs.setdefault("autoescape", True)
    env = jinja2.Environment(*args, **kwargs)
    if default_helpers:
        env.globals.update(GLOBAL_HELPERS)
    if filters is not None:
        env.filters.update(filters)
    env.globals.setdefault("app", app)  # the owner; each render's context sets request.app
    app[app_key] = env
    processors = tuple(context_processors)
    if processors:
        app[APP_CONTEXT_PROCESSORS_KEY] = processors
        app.middlewares.append(context_processors_middleware)
    return env


def get_env(app: Application, *, app_key: AppKey[jinja2.Environment] = APP_KEY) -> Any:
    """The environment ``setup`` stored on ``app`` (``None`` if it was never set up)."""
    return app.get(app_key)


# -- rendering ---------------------------------------------------------------------------------


def _prepare(
    template_name: str | jinja2.Template,
    request: Any,
    context: Any,
    app_key: AppKey[jinja2.Environment],
) -> tuple[jinja2.Template, dict[str, Any]]:
    """Find the environment and template and build the context, or fail with a clear 500."""
    env = request.config_dict.get(app_key)
    if env is None:
        # aiohttp_jinja2's wording: ported code imports this module under that name
        text = "Template engine is not initialized, call aiohttp_jinja2.setup() first"
        raise HTTPInternalServerError(reason=text, text=text)
    if context is None:
        context = {}
    if not isinstance(context, Mapping):
        text = f"context should be mapping, not {type(context)}"
        raise HTTPInternalServerError(reason=text, text=text)
    try:
        tmpl = (
            template_name
            if isinstance(template_name, jinja2.Template)
            else env.get_template(template_name)
        )
    except jinja2.TemplateNotFound as exc:
        text = f"Template '{exc.name}' not found"
        raise HTTPInternalServerError(reason=text, text=text) from exc
    full: dict[str, Any] = {"app": request.app}
    full.update(request.get(REQUEST_CONTEXT_KEY, {}))
    full.update(context)
    return tmpl, full


def render_string(
    template_name: str,
    request: Any,
    context: Mapping[str, Any],
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
) -> str:
    """Render a template to text (synchronous Jinja environments)."""
    tmpl, ctx = _prepare(template_name, request, context, app_key)
    if tmpl.environment.is_async:
        raise RuntimeError(
            "this Jinja environment is async (enable_async=True): use render_string_async"
        )
    return tmpl.render(ctx)


async def render_string_async(
    template_name: str,
    request: Any,
    context: Mapping[str, Any],
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
) -> str:
    """Render a template to text in an async Jinja environment (``enable_async=True``)."""
    tmpl, ctx = _prepare(template_name, request, context, app_key)
    if not tmpl.environment.is_async:
        return tmpl.render(ctx)
    return await tmpl.render_async(ctx)


def _response(text: str, encoding: str, status: int) -> Response:
    response = Response(status=status, content_type="text/html", charset=encoding)
    response.text = text
    return response


def render_template(
    template_name: str,
    request: Any,
    context: Mapping[str, Any],
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> Response:
    """Render a template into a ``text/html`` :class:`Response`."""
    return _response(
        render_string(template_name, request, context, app_key=app_key), encoding, status
    )


async def render_template_async(
    template_name: str,
    request: Any,
    context: Mapping[str, Any],
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> Response:
    """:func:`render_template` for async Jinja environments."""
    text = await render_string_async(template_name, request, context, app_key=app_key)
    return _response(text, encoding, status)


def template(
    template_name: str,
    *,
    app_key: AppKey[jinja2.Environment] = APP_KEY,
    encoding: str = "utf-8",
    status: int = 200,
) -> Callable[[F], F]:
    """Decorate a handler (function, coroutine or ``View`` method) returning a context dict.

    The handler's dict is rendered with ``template_name``; a handler that returns a response
    instead (a redirect, say) has it passed through untouched.
    """

    def wrapper(func: F) -> F:
        @functools.wraps(func)
        async def wrapped(*args: Any) -> Any:
            result = func(*args)
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, StreamResponse):
                return result
            # A plain handler is called with (request); a View method with (self) and a bound
            # method of a handler class with (request) too: find the request either way.
            request = args[0].request if isinstance(args[0], AbstractView) else args[-1]
            if result is None:
                result = {}
            return await render_template_async(
                template_name,
                request,
                result,
                app_key=app_key,
                encoding=encoding,
                status=status,
            )

        return wrapped  # type: ignore[return-value]

    return wrapper


# -- context processors ------------------------------------------------------------------------


@middleware
async def context_processors_middleware(request: Any, handler: Callable[..., Any]) -> Any:
    """Run the app's context processors and stash their merged result on the request."""
    context = request.setdefault(REQUEST_CONTEXT_KEY, {})
    for processor in request.config_dict.get(APP_CONTEXT_PROCESSORS_KEY, ()):
        context.update(await processor(request))
    return await handler(request)


async def request_processor(request: Any) -> dict[str, Any]:
    """A context processor that exposes ``request`` to every template."""
    return {"request": request}
