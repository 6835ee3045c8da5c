"""One source for the server's defaults and logger names (aioweb/server/settings.py, log.py).

Each public entry point's default must be the one in settings.py: these tests fail when a
literal default is written again somewhere (and then drifts), and when a logger name is
spelled in a second module.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import aioweb
from aioweb.framework.app_runner import AppRunner
from aioweb.framework.lowlevel import Server
from aioweb.framework.run import _run_app
from aioweb.server import runners, settings
from aioweb.server.server import ServerSettings
from aioweb.server.streams import StreamReader
from aioweb.server.supervisor import run_workers


def _default(func: object, name: str) -> object:
    return inspect.signature(func).parameters[name].default  # type: ignore[arg-type]


def _introspectable(func: object, name: str) -> bool:
    """A compiled C type's ``__init__`` has no signature to read: its defaults are checked in
    the pure-Python pass of the test command (``AIOWEB_NO_EXTENSIONS=1``)."""
    try:
        inspect.signature(func)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return name in inspect.signature(func).parameters  # type: ignore[arg-type]


def test_server_settings_keeps_its_old_import_path() -> None:
    assert ServerSettings is settings.ServerSettings


def test_low_level_server_defaults_are_the_settings() -> None:
    defaults = settings.DEFAULTS
    for name in ("keepalive_timeout", "idle_timeout", "header_timeout", "body_timeout",
                 "body_min_rate", "body_rate_grace", "read_bufsize", "max_pipelined",
                 "handler_cancellation"):  # fmt: skip
        assert _default(Server.__init__, name) == getattr(defaults, name), name
    for name in ("max_line_size", "max_field_size", "max_headers", "max_head_size"):
        assert _default(Server.__init__, name) == getattr(defaults.limits, name), name


def test_runner_and_site_defaults_are_the_settings() -> None:
    shutdown, backlog = settings.DEFAULT_SHUTDOWN_TIMEOUT, settings.DEFAULT_BACKLOG
    for func in (_run_app, run_workers, runners.TCPSite.__init__, runners.UnixSite.__init__,
                 runners.SockSite.__init__, runners.BaseSite.__init__):  # fmt: skip
        assert _default(func, "shutdown_timeout") == shutdown, func
        assert _default(func, "backlog") == backlog, func
    for func in (AppRunner.__init__, runners.NamedPipeSite.__init__, runners.BaseRunner.__init__):
        assert _default(func, "shutdown_timeout") == shutdown, func
    assert _default(_run_app, "keepalive_timeout") == settings.DEFAULT_KEEPALIVE_TIMEOUT
    if _introspectable(StreamReader.__init__, "limit"):
        assert _default(StreamReader.__init__, "limit") == settings.DEFAULT_READ_BUFSIZE


def test_each_logger_name_is_spelled_once() -> None:
    """Every ``aioweb.*`` logger (server, framework, integrations) is named in server/log.py
    and nowhere else."""
    root = Path(aioweb.__file__).parent
    pattern = re.compile(r"getLogger\(\s*[\"'](aioweb\.[\w.]+)[\"']")
    seen: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for name in pattern.findall(path.read_text()):
            seen.setdefault(name, []).append(str(path.relative_to(root)))
    assert seen == {name: ["server/log.py"] for name in seen}
    names = {"server", "access", "supervisor", "reload", "web", "gridfs", "session"}
    names |= {"websocket", "broadcast", "internal"}
    assert set(seen) == {f"aioweb.{name}" for name in names}


def test_default_port_is_written_once() -> None:
    """The CLI's ``--port`` default (both spellings) and the sites' are settings.DEFAULT_PORT:
    no other module writes the number."""
    root = Path(aioweb.__file__).parent
    found = [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and node.value == settings.DEFAULT_PORT
        and type(node.value) is int
    ]
    assert found == [
        f"server/settings.py:{_line_of(root / 'server/settings.py', 'DEFAULT_PORT =')}"
    ]


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_websocket_options_have_one_definition() -> None:
    """The server response and the test client take their WebSocket defaults from
    aioweb/http/websocket/options.py, and hand the session one WebSocketOptions (whose
    defaults are the same constants)."""
    from aioweb.framework.websocket import WebSocketResponse
    from aioweb.http.websocket import options
    from aioweb.tooling.websocket_client import ws_connect

    defaults = options.WebSocketOptions()
    assert defaults.timeout == options.DEFAULT_TIMEOUT
    assert defaults.max_msg_size == options.DEFAULT_MAX_MSG_SIZE
    assert defaults.writer_limit == options.DEFAULT_WRITER_LIMIT
    for func in (WebSocketResponse.__init__, ws_connect):
        assert _default(func, "timeout") == options.DEFAULT_TIMEOUT, func
        assert _default(func, "max_msg_size") == options.DEFAULT_MAX_MSG_SIZE, func
    assert _default(WebSocketResponse.__init__, "writer_limit") == options.DEFAULT_WRITER_LIMIT
    assert _default(ws_connect, "compress") == options.DEFAULT_CLIENT_COMPRESS
