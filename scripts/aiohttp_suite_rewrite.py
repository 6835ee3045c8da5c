"""The import rewrite that ports aiohttp's own test files to aioweb, as a porting user would.

Why a source rewrite and not an import hook: aiohttp's client (which the tests keep using, and which
aioweb's test client is built on) imports ``aiohttp.hdrs``, ``aiohttp.helpers``, ``aiohttp.payload``,
``aiohttp.streams`` ... itself.  A hook that mapped those module names to aioweb would swap them
under the client too; only the *test files'* imports may change.  Rewriting the text does exactly
that, leaves a diffable copy, and keeps every line number (tracebacks point at the original line).

What changes (and nothing else):

- ``from aiohttp.<server module> import a, _b`` -> ``from aioweb.<server module> import a``; private
  names (``_b``) keep coming from aiohttp: a test that needs one tests aiohttp's internals.
- ``from aiohttp import web, hdrs, ClientSession`` -> the server-side names from aioweb, the client's
  from aiohttp.
- ``aiohttp.<server module>`` used as an attribute after ``import aiohttp`` (``aiohttp.web.X``) ->
  ``aioweb.<server module>`` (the module is imported next to ``import aiohttp``).
- the conftest's ``pytest_plugins = ["aiohttp.pytest_plugin", ...]`` -> aioweb's plugin.

Strings naming aiohttp modules (``mock.patch("aiohttp.web_app.Server")``) stay: they patch
aiohttp's private module globals, which is what the excluded private-internals tests do.
"""

from __future__ import annotations

import ast

# aiohttp's modules whose public names a server application or its tests import; each is expected
# to resolve under aioweb with the same public names (issue 13).  aiohttp's implementation modules
# (web_protocol, base_protocol, http_writer, http_parser, compression_utils, _websocket) are not
# here: tests importing those test aiohttp's internals and keep aiohttp's objects.
SERVER_MODULES = frozenset(
    {
        "web",
        "web_app",
        "web_exceptions",
        "web_fileresponse",
        "web_log",
        "web_middlewares",
        "web_request",
        "web_response",
        "web_routedef",
        "web_runner",
        "web_server",
        "web_urldispatcher",
        "web_ws",
        "abc",
        "typedefs",
        "hdrs",
        "helpers",
        "log",
        "multipart",
        "streams",
        "payload",
        "test_utils",
        "pytest_plugin",
        "http",
        "http_exceptions",
    }
)

# Where a module's public names live under aioweb when the path differs: ``aioweb.http`` is
# aioweb's wire package, so aiohttp.http's public server names (HttpVersion*, WSMsgType,
# WSCloseCode, WSMessage) are imported from ``aioweb.web``, where aioweb documents them.
MODULE_TARGETS = {"aiohttp.http": "aioweb.web"}

# Names aiohttp exports at its top level that belong to the server side (or to the wire both
# sides share and that a server imports from aiohttp's top level).
SERVER_TOP_NAMES = frozenset(
    {
        "HttpVersion",
        "HttpVersion10",
        "HttpVersion11",
        "WSCloseCode",
        "WSMsgType",
        "MultipartReader",
        "MultipartWriter",
        "BodyPartReader",
    }
)


# The conftest is test infrastructure: only its test utilities and plugin become aioweb's (its
# ``payload._CLOSE_FUTURES`` clean-up and ``WS_KEY`` serve aiohttp's client).
CONFTEST_MODULES = frozenset({"test_utils", "pytest_plugin"})


def _is_server_name(module: str, name: str, modules: frozenset[str]) -> bool:
    """Whether ``from <module> import <name>`` should come from aioweb."""
    if name.startswith("_"):
        return False
    if module == "aiohttp":
        return name in modules or (modules is SERVER_MODULES and name in SERVER_TOP_NAMES)
    sub = module.split(".", 1)[1]
    return sub in modules


def _alias(a: ast.alias) -> str:
    return a.name if a.asname is None else f"{a.name} as {a.asname}"


def _import_from(node: ast.ImportFrom, modules: frozenset[str]) -> str | None:
    """The replacement text for one ``from aiohttp... import`` (None: leave it)."""
    module = node.module or ""
    if node.level or not (module == "aiohttp" or module.startswith("aiohttp.")):
        return None
    ours = [a for a in node.names if a.name != "*" and _is_server_name(module, a.name, modules)]
    if not ours:
        return None
    theirs = [a for a in node.names if a not in ours]
    target = MODULE_TARGETS.get(module, "aioweb" + module[len("aiohttp") :])
    parts = [f"from {target} import {', '.join(_alias(a) for a in ours)}"]
    if theirs:
        parts.append(f"from {module} import {', '.join(_alias(a) for a in theirs)}")
    return "; ".join(parts)


class _Edits(ast.NodeVisitor):
    """Collects (start, end, text) byte-span replacements over one file."""

    def __init__(self, offsets: list[int], modules: frozenset[str]) -> None:
        self.offsets = offsets
        self.modules = modules
        self.spans: list[tuple[int, int, str]] = []
        self.attr_modules: set[str] = set()
        self.plain_imports: list[ast.Import] = []

    def _span(self, node: ast.AST, text: str) -> None:
        start = self.offsets[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = self.offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        # Keep the line count: the tail of the old span becomes blank lines.
        text += "\n" * (node.end_lineno - node.lineno)  # type: ignore[attr-defined]
        self.spans.append((start, end, text))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        text = _import_from(node, self.modules)
        if text is not None:
            self._span(node, text)

    def visit_Import(self, node: ast.Import) -> None:
        if any(a.name == "aiohttp" and a.asname is None for a in node.names):
            self.plain_imports.append(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        value = node.value
        if isinstance(value, ast.Name) and value.id == "aiohttp" and node.attr in self.modules:
            self.attr_modules.add(node.attr)
            self._span(value, "aioweb")
        self.generic_visit(node)


def rewrite(source: str, *, conftest: bool = False) -> str:
    """``source`` with its server-side aiohttp imports pointed at aioweb, line numbers kept."""
    raw = source.encode()
    offsets = [0]
    for line in raw.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    tree = ast.parse(source)
    edits = _Edits(offsets, CONFTEST_MODULES if conftest else SERVER_MODULES)
    edits.visit(tree)
    if edits.attr_modules and edits.plain_imports:
        first = edits.plain_imports[0]
        extra = "; ".join(f"import aioweb.{m}" for m in sorted(edits.attr_modules))
        end = offsets[first.end_lineno - 1] + first.end_col_offset  # type: ignore[operator]
        edits.spans.append((end, end, f"; {extra}"))
    out = raw
    for start, end, text in sorted(edits.spans, reverse=True):
        out = out[:start] + text.encode() + out[end:]
    result = out.decode()
    if conftest:
        result = result.replace(
            'pytest_plugins = ["aiohttp.pytest_plugin"', 'pytest_plugins = ["aioweb.pytest_plugin"'
        )
    return result
