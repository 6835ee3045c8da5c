"""Module constants (and the one tiny helper) that aiohttp's public modules define and server code or tests read.

Each value says what aioweb does, which is not always aiohttp's value (see the comments).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Generator
from typing import Final

__all__ = ["DEBUG", "DEFAULT_CHUNK_SIZE", "NOSENDFILE", "PATH_SEP", "noop"]

#: Python's development mode or asyncio debugging: where aiohttp runs its extra checks.
DEBUG: Final[bool] = sys.flags.dev_mode or (
    not sys.flags.ignore_environment and bool(os.environ.get("PYTHONASYNCIODEBUG"))
)

#: aiohttp's default read chunk (256 KiB), which its tests size their read bounds with.
DEFAULT_CHUNK_SIZE: Final[int] = 2**18

#: Whether zero-copy sendfile is off.  aioweb has no switch for it: it uses sendfile where the
#: loop and transport allow and falls back to reading by itself, so this is always False.
NOSENDFILE: Final[bool] = False

#: The path separator as a regular expression (route patterns are matched per segment).
PATH_SEP: Final[str] = re.escape("/")


class noop:  # aiohttp's name, lower case
    """An awaitable that does nothing but yield once to the loop (aiohttp's ``helpers.noop``:
    mocked writers in tests return it from ``write``)."""

    def __await__(self) -> Generator[None, None, None]:
        yield
