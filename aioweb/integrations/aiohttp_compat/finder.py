"""The import hook that makes ``aioweb.<aiohttp module>`` paths exist without a file each.

Kept tiny on purpose: ``import aioweb`` installs it, so it must cost nothing until an alias is
actually imported.  It knows only the alias names; the table of what each alias holds
(:mod:`.table`) and the module builder (:mod:`.modules`) are imported on the first alias import.

It sits at the *end* of ``sys.meta_path``: a real module at the same path (``aioweb/web.py``,
``aioweb/multipart.py``...) is found by the ordinary path finder first and always wins, so an
alias can never shadow code.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ["ALIASES", "AliasFinder", "install"]

#: The aiohttp module names served as ``aioweb.<name>`` by the table (tests check that this set
#: and the table's keys agree).
ALIASES = frozenset(
    {
        "abc",
        "typedefs",
        "hdrs",
        "log",
        "streams",
        "payload",
        "helpers",
        "http_exceptions",
        "web_exceptions",
        "web_request",
        "web_response",
        "web_urldispatcher",
        "web_fileresponse",
        "web_log",
        "web_runner",
        "web_app",
        "web_middlewares",
        "web_ws",
        "web_routedef",
        "web_server",
        "web_protocol",
    }
)


class AliasFinder:
    """Finds ``<package>.<alias>`` for the alias names and builds the module from the table.

    A meta-path finder and loader by protocol (``find_spec``; ``create_module``/``exec_module``),
    without ``importlib.abc``'s base classes: importing that module would cost ``import aioweb``
    about 5 ms.
    """

    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        parent, _, name = fullname.rpartition(".")
        if parent != self.package or name not in ALIASES:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, cast("Loader", self), origin="aiohttp-compat alias"
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object; exec_module fills it

    def exec_module(self, module: ModuleType) -> None:
        # the table is read here, on the first alias import: `import aioweb` stays cheap
        from .modules import populate  # noqa: PLC0415 (lazy by design)

        populate(module, module.__name__.rpartition(".")[2])


def install(package: str = "aioweb") -> None:
    """Append the finder for ``package`` to ``sys.meta_path`` once (idempotent)."""
    for finder in sys.meta_path:
        if isinstance(finder, AliasFinder) and finder.package == package:
            return
    sys.meta_path.append(AliasFinder(package))
