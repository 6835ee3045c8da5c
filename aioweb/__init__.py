"""aioweb: a fast asyncio web framework with aiohttp's server API.

``import aioweb as web`` and ``from aioweb import web`` both give the ``aiohttp.web`` names.
"""

from __future__ import annotations

from typing import Any

from . import web
from .web import *  # noqa: F403
from .web import __all__ as _web_all

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    return web.__getattr__(name)


__all__ = ["__version__", "web", *_web_all]
