"""Under the opt-in, aioweb's HTTP exception classes give aiohttp's module path as theirs.

Tools that name an exception do it from its class: ``f"{type(exc).__module__}.{qualname}"``.
OpenTelemetry's aiohttp-server instrumentation records that string as the span's
``exception.type``, Sentry groups and shows events by it, and Python's traceback (so every
``logging.exception``) prints it on the last line.  An aiohttp program shows
``aiohttp.web_exceptions.HTTPNotFound`` there.  A program that called
:func:`~aioweb.integrations.aiohttp_compat.enable` has asked for aioweb to stand in for
``aiohttp.web_exceptions`` (that module *is* aioweb's there), so its dashboards, alert rules and
log searches keep matching only if the classes say so too.

What makes the new name safe to give:

* only :func:`~aioweb.integrations.aiohttp_compat.enable` calls :func:`report_aiohttp_module`;
  a program that does not opt in keeps ``aioweb.framework.exceptions``;
* the name resolves: under the opt-in ``aiohttp.web_exceptions.<name>`` *is* the class (the
  served module hands out aioweb's), so pickling a class, which stores it by module and name,
  round-trips in the process; ``repr`` of an instance uses the class's ``__name__`` only;
* ``inspect.getsource`` finds the class through the served module's ``__file__``, which the
  opt-in sets to this hierarchy's file (every name of ``aiohttp.web_exceptions`` lives there);
* only the classes of aiohttp's ``web_exceptions`` table entry are renamed: aioweb's own
  subclasses (``UndecodableRequestBody``...) have no aiohttp name and keep theirs.

A class pickled under the opt-in and unpickled in a process *without* it resolves to aiohttp's
own class of that name, as anything pickled by a real aiohttp program does: give both processes
the opt-in (a ``spawn`` worker that re-imports the main module gets it when the main module
calls ``enable()`` at import time).
"""

from __future__ import annotations

import importlib

from .table import TABLE

__all__ = ["AIOHTTP_MODULE", "exceptions_file", "report_aiohttp_module"]

#: Where aiohttp defines the ``HTTPException`` hierarchy.
AIOHTTP_MODULE = "aiohttp.web_exceptions"
_TABLE_ENTRY = "web_exceptions"


def _classes() -> list[type]:
    found = []
    for ref in TABLE[_TABLE_ENTRY].values():
        module, _, name = ref.partition(":")
        found.append(getattr(importlib.import_module(module), name))
    return found


def report_aiohttp_module() -> None:
    """Give each class that aiohttp's ``web_exceptions`` names the ``__module__`` aiohttp's has."""
    for cls in _classes():
        cls.__module__ = AIOHTTP_MODULE


def exceptions_file() -> str | None:
    """The file that defines aioweb's exception hierarchy (for the served module's ``__file__``)."""
    homes = {ref.partition(":")[0] for ref in TABLE[_TABLE_ENTRY].values()}
    if len(homes) != 1:
        return None
    return getattr(importlib.import_module(homes.pop()), "__file__", None)
