"""aiohttp compatibility: aiohttp's module paths under aioweb, and aiohttp's plugins on aioweb.

Two services, one table (:mod:`.table`):

* **Module-path aliases** (always on, installed by ``import aioweb``): ``aioweb.web_log``,
  ``aioweb.hdrs``, ``aioweb.typedefs``... exist with the public names of aiohttp's module of the
  same name, built on import by a meta-path finder (:mod:`.finder`), no file per alias.
* **The plugin opt-in** (:func:`enable`, off unless called): ``aiohttp.web`` and aiohttp's other
  server-side modules resolve to aioweb's, so that plugins written against ``aiohttp.web``
  (aiohttp-cors, aiohttp-security, OpenTelemetry's and Sentry's instrumentations...) work on an
  aioweb application unchanged; aiohttp's client stays aiohttp's.  See docs/compat.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .finder import install

__all__ = ["AiohttpServerAlreadyImported", "enable", "enabled", "install"]

if TYPE_CHECKING:
    from .optin import AiohttpServerAlreadyImported, enable, enabled


def __getattr__(name: str) -> Any:
    if name in ("enable", "enabled", "AiohttpServerAlreadyImported"):
        from . import optin  # noqa: PLC0415 (the opt-in's code loads only when asked for)

        return getattr(optin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
