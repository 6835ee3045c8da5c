"""``aioweb.worker``: the public path of :mod:`aioweb.tooling.worker` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.tooling.worker import (
    GunicornUVLoopWebWorker,
    GunicornWebWorker,
)

__all__ = [
    "GunicornUVLoopWebWorker",
    "GunicornWebWorker",
]
