"""The opt-in that serves aiohttp's server-side modules from aioweb (for aiohttp's plugins).

A plugin written for aiohttp (aiohttp-cors, aiohttp-security, OpenTelemetry's server
instrumentation...) imports ``aiohttp.web`` and checks the objects it is given against aiohttp's
classes.  After :func:`enable`, ``aiohttp.web``, ``aiohttp.web_*``, ``aiohttp.test_utils``,
``aiohttp.pytest_plugin`` and ``aiohttp.worker`` are modules whose names are aioweb's (built from
the same table as the ``aioweb.<name>`` aliases), so the plugin's ``isinstance`` checks, the
responses it builds and the exceptions it raises are aioweb's own.  aiohttp's client modules
(``aiohttp``, ``aiohttp.client``, ``aiohttp.abc``, ``aiohttp.hdrs``...) are left alone: the client
keeps working as aiohttp's.  The one shared module with server-only names, ``aiohttp.abc``, has
those names (``AbstractView``, ``AbstractRouter``, ``AbstractMatchInfo``,
``AbstractAccessLogger``) pointed at aioweb's; the client never uses them.  aioweb's HTTP
exception classes then give ``aiohttp.web_exceptions`` as their module, as an aiohttp program's
do, for the tools that name exceptions by it (:mod:`.exception_names`).

Safety: nothing happens unless :func:`enable` is called, and it refuses (with
:class:`AiohttpServerAlreadyImported`) when one of those modules was already imported as
aiohttp's own, since objects made from it would then mix with aioweb's.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from .exception_names import AIOHTTP_MODULE, exceptions_file, report_aiohttp_module
from .modules import entry, module_getattr, resolve
from .table import TABLE

__all__ = ["SERVED", "AiohttpServerAlreadyImported", "enable", "enabled"]

#: aiohttp module -> where its names come from: a table entry, or a whole aioweb module.
SERVED: dict[str, str] = {
    **{f"aiohttp.{name}": f"table:{name}" for name in TABLE if name.startswith("web_")},
    "aiohttp.web": "module:aioweb.web",
    "aiohttp.test_utils": "module:aioweb.test_utils",
    "aiohttp.pytest_plugin": "module:aioweb.pytest_plugin",
    "aiohttp.worker": "module:aioweb.worker",
}
_ABC_SERVER_NAMES = ("AbstractView", "AbstractRouter", "AbstractMatchInfo", "AbstractAccessLogger")
_ORIGIN = "aioweb (aioweb.integrations.aiohttp_compat.enable)"


class AiohttpServerAlreadyImported(RuntimeError):
    """:func:`enable` came after aiohttp's own server modules were imported."""


def _delegate(target: str) -> Any:
    def __getattr__(name: str) -> Any:
        return getattr(importlib.import_module(target), name)

    return __getattr__


class _ServerFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the modules of :data:`SERVED` before the path finder would find aiohttp's files."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in SERVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin=_ORIGIN)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        kind, _, source = SERVED[module.__name__].partition(":")
        module.__doc__ = f"aiohttp's {module.__name__} served by aioweb ({source})."
        if kind == "table":
            names = sorted(TABLE[source])
            vars(module).update(__all__=names, __getattr__=module_getattr(source, module.__name__))
            if module.__name__ == AIOHTTP_MODULE:
                module.__file__ = exceptions_file()  # inspect finds the renamed classes' source
            return
        real = importlib.import_module(source)
        public = getattr(real, "__all__", None)
        if public is None:
            public = [n for n in vars(real) if not n.startswith("_")]
        # pytest looks fixtures and hooks up in the module's namespace, not via __getattr__
        vars(module).update({k: v for k, v in vars(real).items() if not k.startswith("__")})
        vars(module).update(__all__=list(public), __getattr__=_delegate(source))


def enabled() -> bool:
    """Whether :func:`enable` has run in this interpreter."""
    return any(isinstance(f, _ServerFinder) for f in sys.meta_path)


def enable() -> None:
    """Serve aiohttp's server-side modules from aioweb from now on (idempotent).

    Call it first thing in the program (before importing ``aiohttp.web`` or any plugin).
    """
    if enabled():
        return
    already = sorted(
        name
        for name in SERVED
        if name in sys.modules and getattr(sys.modules[name].__spec__, "origin", None) != _ORIGIN
    )
    if already:
        raise AiohttpServerAlreadyImported(
            f"aiohttp's own server modules were imported before aioweb's aiohttp compatibility "
            f"was enabled ({', '.join(already)}): objects made from them cannot work on aioweb. "
            "Call aioweb.integrations.aiohttp_compat.enable() before anything imports aiohttp.web "
            "(first thing in the program, or in conftest.py for tests)."
        )
    sys.meta_path.insert(0, _ServerFinder())
    abc = importlib.import_module("aiohttp.abc")
    refs = entry("abc")
    for name in _ABC_SERVER_NAMES:
        setattr(abc, name, resolve(refs[name]))
    report_aiohttp_module()
