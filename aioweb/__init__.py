"""aioweb: a fast asyncio web framework with aiohttp's server API.

``import aioweb as web`` and ``from aioweb import web`` both give the ``aiohttp.web`` names.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _extensions

_extensions.install()  # before any compiled module is imported: a stale build is never used

from . import namespace as _namespace  # noqa: E402
from .namespace import *  # noqa: E402, F403

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "web":  # imported on demand, so that ``python -m aioweb.web`` runs cleanly
        return importlib.import_module(".web", __name__)
    # Cached after the first access (see ``web.__getattr__``).
    value = globals()[name] = _namespace.__getattr__(name)
    return value


__all__ = ["__version__", "web", *_namespace.__all__, *_namespace.STAR_LAZY]  # noqa: F405
