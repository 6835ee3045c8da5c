"""The ``aiohttp.web`` namespace: ``from aioweb import web`` (or ``import aioweb as web``).

Also runnable as aiohttp's CLI: ``python -m aioweb.web -H host -P port module:func``.
"""

from __future__ import annotations

from typing import Any

from . import namespace as _namespace
from .namespace import *  # noqa: F403


def __getattr__(name: str) -> Any:
    # Cache the lazily imported name: ``web.WSMsgType.TEXT`` in a message loop must not
    # go through the import machinery on every access.
    value = globals()[name] = _namespace.__getattr__(name)
    return value


__all__ = [*_namespace.__all__, *_namespace.STAR_LAZY]

if __name__ == "__main__":
    from aioweb.tooling.cli import web_main

    web_main()
