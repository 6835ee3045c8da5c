"""``aioweb.jinja2``: the public path of :mod:`aioweb.integrations.jinja2` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.integrations.jinja2 import (
    APP_CONTEXT_PROCESSORS_KEY,
    APP_KEY,
    GLOBAL_HELPERS,
    REQUEST_CONTEXT_KEY,
    context_processors_middleware,
    get_env,
    render_string,
    render_string_async,
    render_template,
    render_template_async,
    request_processor,
    setup,
    static_root_key,
    template,
)

__all__ = [
    "APP_CONTEXT_PROCESSORS_KEY",
    "APP_KEY",
    "context_processors_middleware",
    "GLOBAL_HELPERS",
    "get_env",
    "render_string",
    "render_string_async",
    "render_template",
    "render_template_async",
    "REQUEST_CONTEXT_KEY",
    "request_processor",
    "setup",
    "static_root_key",
    "template",
]
