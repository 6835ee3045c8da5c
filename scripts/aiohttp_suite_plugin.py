"""pytest plugin loaded into the aiohttp-suite run (``-p aiohttp_suite_plugin``).

It records each test's outcome as JSON lines for scripts/aiohttp_suite.py to compare with the
ledger (only in the controlling process: under pytest-xdist the workers' reports arrive there).

With ``AIOHTTP_SUITE_LOOKTHROUGH=1`` (triage only, never the CI run) it also lets a test module
import past a module path or name aioweb does not have yet: the name is looked up on
``aioweb.web``, then ``aioweb``, then taken from aiohttp's module of that name, and every such
fallback is logged.  Without it a single missing alias fails a whole module at collection, which
hides every behaviour difference behind it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import json
import os
import sys
import types
from typing import Any

_OUT = os.environ.get("AIOHTTP_SUITE_RESULTS", "")
_CONFIG: Any = None


def _write(path: str, record: dict[str, Any]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _message(report: Any) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)[:600]
    text = str(report.longrepr or "")
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-3:])[:600]


def pytest_configure(config: Any) -> None:
    global _CONFIG
    _CONFIG = config


def _controller() -> bool:
    return bool(_OUT) and not hasattr(_CONFIG, "workerinput")


def pytest_runtest_logreport(report: Any) -> None:
    if not _controller():
        return
    _write(
        _OUT,
        {
            "nodeid": report.nodeid,
            "when": report.when,
            "outcome": report.outcome,
            "xfail": hasattr(report, "wasxfail"),
            "message": _message(report) if report.failed else "",
            "duration": round(report.duration, 3),
        },
    )


def pytest_collectreport(report: Any) -> None:
    if _controller() and report.failed:
        _write(
            _OUT,
            {"nodeid": report.nodeid, "when": "collect", "outcome": "failed",
             "xfail": False, "message": _message(report), "duration": 0.0},
        )  # fmt: skip


# --- look-through (triage only) -------------------------------------------------------------

_SERVER_MODULES = (os.environ.get("AIOHTTP_SUITE_MODULES") or "").split(",")
_SEEN: set[tuple[str, str]] = set()
_BUSY: set[tuple[str, str]] = set()


def _fallback(module: str, previous: Any = None) -> Any:
    """A PEP 562 ``__getattr__`` for ``aioweb.<module>`` that looks past a missing name."""

    def __getattr__(name: str) -> Any:
        if previous is not None:
            try:
                return previous(name)
            except AttributeError:
                pass
        where = f"aioweb.{module}" if module else "aioweb"
        # pytest_* (hooks pytest looks for on a plugin module) must never come from aiohttp
        if name.startswith(("__", "pytest")) or name in _SERVER_MODULES or (where, name) in _BUSY:
            raise AttributeError(name)
        _BUSY.add((where, name))
        try:
            return _look_past(module, where, name)
        finally:
            _BUSY.discard((where, name))

    return __getattr__


def _look_past(module: str, where: str, name: str) -> Any:
    for source in ("aioweb.web", "aioweb"):
        mod = importlib.import_module(source)
        if source != where and name in vars(mod):
            _log(where, name, source)
            return vars(mod)[name]
    theirs = importlib.import_module(f"aiohttp.{module}" if module else "aiohttp")
    if hasattr(theirs, name):
        _log(where, name, theirs.__name__)
        return getattr(theirs, name)
    raise AttributeError(f"module {where!r} has no attribute {name!r}")


def _log(where: str, name: str, source: str) -> None:
    if (where, name) not in _SEEN and _OUT:
        _SEEN.add((where, name))
        _write(_OUT + ".fallbacks", {"module": where, "name": name, "from": source})


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``aioweb.<aiohttp module path>``: a stand-in module when it does not exist; when it does,
    the real module, given the look-past ``__getattr__`` once it has run."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        prefix, _, sub = fullname.partition(".")
        if prefix != "aioweb" or sub not in _SERVER_MODULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                _wrap(spec, sub)
                return spec
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: Any) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        module.__getattr__ = _fallback(spec.name.partition(".")[2])  # type: ignore[method-assign]
        _log(spec.name, "*", "(module missing)")
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _wrap(spec: Any, sub: str) -> None:
    run = spec.loader.exec_module

    def exec_module(module: types.ModuleType) -> None:
        run(module)
        module.__getattr__ = _fallback(sub, vars(module).get("__getattr__"))  # type: ignore[method-assign]

    spec.loader.exec_module = exec_module


def _install() -> None:
    sys.meta_path.insert(0, _AliasFinder())
    aioweb = importlib.import_module("aioweb")
    aioweb.__getattr__ = _fallback("", vars(aioweb).get("__getattr__"))  # type: ignore[method-assign]
    for sub in _SERVER_MODULES:  # the ones imported by aioweb itself already
        module = sys.modules.get(f"aioweb.{sub}")
        if module is not None and getattr(module, "__file__", None):
            module.__getattr__ = _fallback(sub, vars(module).get("__getattr__"))  # type: ignore[method-assign]


if os.environ.get("AIOHTTP_SUITE_LOOKTHROUGH") == "1":
    _install()
