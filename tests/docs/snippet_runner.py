"""Runs one documentation snippet in a fresh interpreter (started by ``test_snippets.py``).

``python snippet_runner.py MODE SOURCE DOC [PORT]``: ``SOURCE`` is a file holding the snippet,
padded with blank lines so that its line numbers are those of the markdown file ``DOC`` (a
traceback names the page and the line a reader sees).  ``MODE`` is ``module`` (run it as an
imported module) or ``serve`` (run it as ``__main__``: its ``web.run_app(...)`` serves on
127.0.0.1:``PORT`` until SIGINT, whatever host and port the snippet names, since the page's
port may be taken on the test machine; every other argument is passed through unchanged).

After the code ran, every dotted name it spells from a module or a class it imported
(``web.WSMsgType.TEXT``, ``aiohttp_jinja2.template``) must exist, also inside function bodies
that the run never called: a snippet that names an API that is not there fails here even when
nothing executes that line.
"""

from __future__ import annotations

import ast
import inspect
import sys
import types
from pathlib import Path
from typing import Any


def _patch_run_app(port: int) -> None:
    """Serve on the test's port: ``run_app`` itself runs, only host and port are chosen here."""
    import aioweb
    import aioweb.web

    real = aioweb.web.run_app

    def run_app(app: Any, **kwargs: Any) -> None:
        kwargs["host"] = "127.0.0.1"
        kwargs["port"] = port
        real(app, **kwargs)

    aioweb.web.run_app = run_app  # type: ignore[attr-defined]
    aioweb.run_app = run_app  # type: ignore[attr-defined]


def _dotted(node: ast.Attribute) -> list[str] | None:
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name):
        return None
    parts.append(current.id)
    return parts[::-1]


def missing_names(tree: ast.AST, namespace: dict[str, Any]) -> list[str]:
    """Dotted names rooted at an imported module or class that do not resolve."""
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        parts = _dotted(node)
        if parts is None or parts[0] not in namespace:
            continue
        value = namespace[parts[0]]
        for i, attr in enumerate(parts[1:], start=1):
            if not isinstance(value, types.ModuleType) and not inspect.isclass(value):
                break  # an instance: its attributes are the run's business
            if not hasattr(value, attr):
                missing.append(f"line {node.lineno}: {'.'.join(parts[: i + 1])}")
                break
            value = getattr(value, attr)
    return missing


def main(argv: list[str]) -> int:
    mode, source_path, doc = argv[:3]
    source = Path(source_path).read_text()
    if mode == "serve":
        _patch_run_app(int(argv[3]))
    tree = ast.parse(source, doc)
    namespace: dict[str, Any] = {
        "__name__": "__main__" if mode == "serve" else "snippet",
        "__file__": source_path,
    }
    exec(compile(tree, doc, "exec"), namespace)
    missing = missing_names(tree, namespace)
    for name in missing:
        print(f"{doc}: no such name: {name}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
