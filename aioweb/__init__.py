"""aioweb: a fast asyncio web framework with aiohttp's server API.

``import aioweb as web`` and ``from aioweb import web`` both give the ``aiohttp.web`` names.

The names are looked up lazily (PEP 562) in :mod:`aioweb.namespace`: importing a submodule
(``aioweb.http.parser``, say) imports this package first, and an eager star-import here would
load the whole framework with it, putting every module in one import cycle through its parent.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import _extensions
from ._version import __version__ as __version__
from .integrations.aiohttp_compat import finder as _aiohttp_paths

_extensions.install()  # before any compiled module is imported: a stale build is never used
# aiohttp's module paths (aioweb.web_log, aioweb.hdrs...): a finder consulted only after the
# ordinary one has found no file; the table behind it is read on the first alias import
_aiohttp_paths.install()

if TYPE_CHECKING:
    from .namespace import *  # noqa: F403


def __getattr__(name: str) -> Any:
    if name == "web":  # imported on demand, so that ``python -m aioweb.web`` runs cleanly
        return importlib.import_module(".web", __name__)
    namespace = importlib.import_module(".namespace", __name__)
    if name == "__all__":
        # Computed on first use (``from aioweb import *``, introspection): the same list as
        # before the package became lazy.
        value: Any = ["__version__", "web", *namespace.__all__, *namespace.STAR_LAZY]
    else:
        value = getattr(namespace, name)  # AttributeError for an unknown name
    globals()[name] = value  # cached: the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__getattr__("__all__")})
