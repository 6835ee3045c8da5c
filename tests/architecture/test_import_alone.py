"""Every aioweb module imports alone, in a fresh interpreter, with warnings as errors.

An import cycle, a layer reaching upward at import time, a module that only worked because
another one had been imported first, or a stale compiled build (a RuntimeWarning) fails here.
Modules whose optional dependency is not installed are skipped, and the skip says which.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import aioweb

#: module prefix -> the optional distribution it needs (its import name)
OPTIONAL = {
    "aioweb.worker": "gunicorn",
    "aioweb.tooling.worker": "gunicorn",
    "aioweb.gridfs": "pymongo",
    "aioweb.integrations.gridfs": "pymongo",
    "aioweb.jinja2": "jinja2",
    "aioweb.integrations.jinja2": "jinja2",
    "aioweb.session.cookie_storage": "cryptography",
    "aioweb.integrations.session.cookie_storage": "cryptography",
    "aioweb.session.redis_storage": "redis",
    "aioweb.integrations.session.redis_storage": "redis",
}

#: run as scripts, not imported
NOT_IMPORTED = {"aioweb.__main__"}


def _modules() -> list[str]:
    return sorted(
        {"aioweb"}
        | {
            info.name
            for info in pkgutil.walk_packages(aioweb.__path__, "aioweb.")
            if info.name not in NOT_IMPORTED
        }
    )


def _missing_dependency(name: str) -> str | None:
    for prefix, dependency in OPTIONAL.items():
        if (name == prefix or name.startswith(prefix + ".")) and importlib.util.find_spec(
            dependency
        ) is None:
            return dependency
    return None


def _import_alone(name: str) -> str | None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", f"import {name}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    if result.returncode == 0:
        return None
    return f"{name}:\n{result.stderr.strip()}"


def test_every_module_imports_alone() -> None:
    modules = _modules()
    assert len(modules) > 50, modules
    skipped = {name: dep for name in modules if (dep := _missing_dependency(name))}
    runnable = [name for name in modules if name not in skipped]
    with ThreadPoolExecutor(max_workers=max(2, min(8, (os.cpu_count() or 2) * 2))) as pool:
        failures = [failure for failure in pool.map(_import_alone, runnable) if failure]
    assert not failures, "\n\n".join(failures)
    if skipped:
        reasons = ", ".join(f"{name} (needs {dep})" for name, dep in sorted(skipped.items()))
        pytest.skip(f"imported {len(runnable)} modules; not installed, skipped: {reasons}")


def test_the_wire_layer_does_not_load_the_framework() -> None:
    """Importing a submodule imports its parent packages first: ``aioweb/__init__`` must stay
    lazy, or the wire parser would drag the whole framework in with it."""
    code = (
        "import sys, aioweb.http.parser, aioweb.server.protocol\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('aioweb'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    # the aiohttp module-path finder is installed by aioweb/__init__ (a small module; the table
    # and the framework objects behind it load only on an alias import)
    hook = ("aioweb.integrations", "aioweb.integrations.aiohttp_compat")
    hook += ("aioweb.integrations.aiohttp_compat.finder",)
    lower = ("aioweb.http", "aioweb.server", "aioweb._")
    upper = [m for m in loaded if not m.startswith(lower) and m not in hook]
    assert upper == ["aioweb"], loaded
