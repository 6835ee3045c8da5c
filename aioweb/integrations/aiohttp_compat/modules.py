"""Building a module from the table: the ``aioweb.<aiohttp name>`` aliases, and the names the
real modules at such paths (``aioweb.multipart``...) add from it.

Names resolve lazily through the module's PEP 562 ``__getattr__``: importing ``aioweb.web_log``
imports nothing until ``AccessLogger`` is asked for, and a client-side name (``BasicAuth``) needs
aiohttp only when it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .table import MISSING, TABLE

__all__ = ["entry", "module_getattr", "populate", "resolve"]


def entry(module: str) -> dict[str, str]:
    """The table's names for the aiohttp module ``module`` (``"web_log"``...)."""
    if module == "hdrs":
        from .shims import hdrs_names  # noqa: PLC0415 (shims import the framework: on use only)

        return {name: f"shims:hdrs:{name}" for name in hdrs_names()}
    return TABLE[module]


def resolve(ref: str) -> Any:
    """The object a table reference names (see :mod:`.table` for the three forms)."""
    if ref.startswith("shims:"):
        from . import shims  # noqa: PLC0415 (shims import the framework: on use only)

        _, group, name = ref.split(":")
        if group == "hdrs":
            return shims.hdrs_names()[name]
        if group == "typedefs":
            return shims.TYPEDEFS[name]
        if group == "loggers":
            return shims.LOGGERS[name]
        return getattr(shims, name)
    if ref.startswith("aiohttp:"):
        module, _, name = ref[len("aiohttp:") :].partition(":")
        try:
            return getattr(importlib.import_module(module), name)
        except ImportError as exc:
            raise ImportError(
                f"{name} is aiohttp's client-side {module}.{name}; install aiohttp "
                "(the aioweb[test] extra) to use it"
            ) from exc
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


def module_getattr(alias: str, module_name: str) -> Callable[[str], Any]:
    """A PEP 562 ``__getattr__`` serving the table's names for ``alias`` (cached on first use)."""

    def __getattr__(name: str) -> Any:
        names = entry(alias)
        if name not in names:
            reason = MISSING.get(alias, {}).get(name)
            hint = f" (aiohttp's name, not in aioweb yet: {reason})" if reason else ""
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}{hint}")
        value = resolve(names[name])
        module = importlib.import_module(module_name)
        setattr(module, name, value)
        return value

    return __getattr__


def populate(module: ModuleType, alias: str) -> None:
    """Make ``module`` the alias of aiohttp's ``aiohttp.<alias>``: ``__all__`` and lazy names."""
    names = entry(alias)
    module.__doc__ = (
        f"aiohttp's ``aiohttp.{alias}`` names, served by aioweb (an alias built from "
        "aioweb.integrations.aiohttp_compat.table; there is no file at this path)."
    )
    vars(module).update(
        __all__=sorted(names),
        __getattr__=module_getattr(alias, module.__name__),
        __dir__=lambda: sorted({*names, *vars(module)}),
    )
