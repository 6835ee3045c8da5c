"""No submodule shares a name with a name its package exports.

Importing ``package.name`` binds the submodule as the package's attribute ``name``, replacing
whatever the package exported under that name: with ``aioweb/static.py`` beside the exported
``static()`` route definition, ``web.static(...)`` became "'module' object is not callable" as
soon as ``add_static`` had imported the module.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import aioweb

#: (package, name) pairs where the submodule *is* the export
INTENDED = {("aioweb", "web")}


def _exported(package: str) -> set[str]:
    module = importlib.import_module(package)
    names = set(getattr(module, "__all__", ()))
    lazy = getattr(module, "_LAZY", None)
    if isinstance(lazy, dict):
        names |= set(lazy)
    if package == "aioweb":
        namespace = importlib.import_module("aioweb.namespace")
        names |= set(namespace.__all__) | set(namespace._LAZY)
    return names


def _packages() -> list[str]:
    found = ["aioweb"]
    for info in pkgutil.walk_packages(aioweb.__path__, "aioweb."):
        if info.ispkg and importlib.util.find_spec(info.name) is not None:
            found.append(info.name)
    return found


def test_no_submodule_shadows_an_export() -> None:
    clashes = []
    for package in _packages():
        try:
            module = importlib.import_module(package)
        except ImportError:  # an optional dependency is missing: nothing to shadow
            continue
        submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
        for name in sorted(_exported(package) & submodules):
            if (package, name) not in INTENDED:
                clashes.append(f"{package}.{name}")
    assert not clashes, clashes


def test_web_static_stays_the_function_after_add_static() -> None:
    code = (
        "import tempfile\n"
        "import aioweb as web\n"
        "app = web.Application()\n"
        "app.router.add_static('/s', tempfile.gettempdir())\n"
        "import aioweb.web as w\n"
        "assert callable(web.static), web.static\n"
        "assert callable(w.static), w.static\n"
        "assert web.static is w.static\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
