"""Command line: ``python -m aioweb module:factory`` and ``python -m aioweb.web``.

``module:factory`` names an ``Application``, or a callable returning one (or a coroutine that
does).  The aiohttp-compatible form (``python -m aioweb.web -H host -P port module:func``)
calls ``func(argv)`` with the arguments left over, as aiohttp does.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from aioweb.framework.app import Application
from aioweb.framework.run import run_app
from aioweb.server.settings import DEFAULT_PORT

__all__ = ["load_app", "main", "web_main"]


def _import_target(entry: str) -> Any:
    module_name, sep, attr = entry.partition(":")
    if not sep or not module_name or not attr:
        raise SystemExit(f"error: {entry!r} is not in the form 'module:factory'")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SystemExit(f"error: cannot import module {module_name!r}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise SystemExit(f"error: module {module_name!r} has no attribute {attr!r}") from None


def load_app(entry: str, argv: Sequence[str] = ()) -> Any:
    """The application named by ``entry`` (an app, or a factory called with ``argv`` if it
    accepts an argument, else without)."""
    target = _import_target(entry)
    if isinstance(target, Application):
        return target
    if not callable(target):
        raise SystemExit(f"error: {entry!r} is neither an Application nor callable")
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    return target(list(argv)) if params else target()


def _web_concurrency() -> int:
    """``$WEB_CONCURRENCY``, the worker count convention of gunicorn and PaaS platforms."""
    value = os.environ.get("WEB_CONCURRENCY", "1")
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"error: WEB_CONCURRENCY={value!r} is not a number") from None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-U", "--path", help="Unix socket path to listen on")
    parser.add_argument("--debug", action="store_true", help="debug mode (tracebacks in 500 pages)")
    parser.add_argument(
        "--workers",
        type=int,
        default=_web_concurrency(),
        help="worker processes sharing the port (SO_REUSEPORT); default $WEB_CONCURRENCY or 1",
    )
    parser.add_argument(
        "--worker-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="with --workers, restart a worker whose event loop is blocked this long (0: never)",
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart on source changes (development)"
    )
    parser.add_argument(
        "--reload-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="with --reload, also watch DIR (repeatable)",
    )
    parser.add_argument("--no-access-log", action="store_true", help="turn the access log off")
    parser.add_argument(
        "--trusted-proxies",
        metavar="LIST",
        help="apply X-Forwarded-*/Forwarded headers from these proxy addresses or networks "
        "('127.0.0.1,10.0.0.0/8', 'unix'); see aioweb.proxy",
    )
    parser.add_argument(
        "--proxy-headers",
        choices=("x-forwarded", "forwarded"),
        default="x-forwarded",
        help="which header family the trusted proxies set (default x-forwarded)",
    )


def _serve(args: argparse.Namespace, app: Any) -> None:
    if args.debug:
        logging.basicConfig(level=logging.DEBUG)
        if isinstance(app, Application):
            app._debug = True
    if args.trusted_proxies:
        app = _with_proxy(app, args.trusted_proxies, args.proxy_headers)
    kwargs: dict[str, Any] = {"host": args.host, "port": args.port, "path": args.path}
    if args.no_access_log:
        kwargs["access_log"] = None
    if args.workers != 1:
        kwargs["workers"] = args.workers
        kwargs["worker_timeout"] = args.worker_timeout
    run_app(app, **kwargs)


def _with_proxy(app: Any, trusted: str, headers: str) -> Any:
    """``--trusted-proxies``: install aioweb.proxy's middleware first on the application."""
    from aioweb.integrations import proxy  # noqa: PLC0415 (import cost: only for --proxy/--reload)

    try:
        # argparse's choices= keeps ``headers`` to proxy.HeaderMode's two values
        middleware = proxy.proxy_middleware(trusted, headers=headers)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SystemExit(f"error: --trusted-proxies: {exc}") from None
    if isinstance(app, Application):
        app.middlewares.insert(0, middleware)
        return app

    async def awaited() -> Application:
        application = await app
        if not isinstance(application, Application):
            raise TypeError(f"the application factory returned {application!r}")
        application.middlewares.insert(0, middleware)
        return application

    return awaited()


def _reload(entry: str, args: argparse.Namespace, argv: Sequence[str] | None, module: str) -> None:
    """Serve ``python -m <module>`` with the same arguments minus ``--reload`` in a child
    process that is restarted when the source changes (aioweb.server.reload)."""
    from aioweb.server.reload import run_with_reloader  # noqa: PLC0415 (import cost: only for --proxy/--reload)

    child_argv = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--reload"]
    run_with_reloader(entry, child_argv, reload_dirs=args.reload_dir, module=module)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m aioweb module:factory [--host H] [--port P] [...]``."""
    parser = argparse.ArgumentParser(prog="python -m aioweb", description=__doc__.splitlines()[0])
    parser.add_argument("entry", help="module:factory (an Application or a callable returning one)")
    parser.add_argument(
        "-H", "--host", default="127.0.0.1", help="host to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "-P", "--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})"
    )
    _common(parser)
    args, extra = parser.parse_known_args(argv)
    if args.reload:
        _reload(args.entry, args, argv, "aioweb")
        return
    _serve(args, load_app(args.entry, extra))


def web_main(argv: Sequence[str] | None = None) -> None:
    """aiohttp's ``python -m aiohttp.web -H host -P port module:func [func args]``."""
    parser = argparse.ArgumentParser(
        prog="python -m aioweb.web", description="aioweb.web application runner"
    )
    parser.add_argument("entry_func", help="callable returning the application, as module:function")
    parser.add_argument(
        "-H", "--hostname", dest="host", default="localhost", help="TCP/IP hostname to serve on"
    )
    parser.add_argument(
        "-P", "--port", type=int, default=DEFAULT_PORT, help="TCP/IP port to serve on"
    )
    _common(parser)
    args, extra = parser.parse_known_args(argv)
    if args.reload:
        _reload(args.entry_func, args, argv, "aioweb.web")
        return
    target = _import_target(args.entry_func)
    app = target if isinstance(target, Application) else target(list(extra))
    _serve(args, app)
