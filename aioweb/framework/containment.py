"""Open a file and prove where it lives: the containment rule for static files.

``add_static(prefix, root)`` with ``follow_symlinks=False`` promises that no byte from outside
``root`` is ever sent, whichever symlinks sit inside the tree. That promise covers every
file the static resource or ``FileResponse`` opens, including the pre-compressed siblings
(``x.js.br``, ``x.js.zst``, ``x.js.gz``): a sibling that is a symlink leaving the root, or
that is reached through a directory symlink leaving it, is treated as absent. (aiohttp's
CVE-2024-42367 was exactly that sibling slipping past a check made on the plain file.)

Why the check is made on the *opened descriptor*, not on the path before opening:
resolving the path first (``os.path.realpath``) and opening it afterwards leaves a window
in which a symlink on the way can be swapped, so the file opened is not the file checked.
Here the file is opened first, then the kernel is asked where that open file lives
(``/proc/self/fd/N`` on Linux, ``F_GETPATH`` on macOS), and that path must lie within the
root; otherwise the descriptor is closed and the file "does not exist". Whatever the path
does afterwards, the bytes sent are those of the descriptor that was checked.

Where the kernel cannot say (no ``/proc`` mounted, other systems), the fallback resolves the
path and requires that the resolved path, inside the root, names the same inode
(``st_dev``/``st_ino``) as the open descriptor: the file sent is then reachable inside the
root (a hard link inside the root is, by definition, inside). Only a symlink switched back
and forth between the two steps could defeat that, which is why the kernel's answer is
preferred whenever it exists.

The price of opening first: a symlink inside the root that leads outside has its target
opened (read-only, non-blocking, never read) before it is refused. That is harmless for
files, directories and FIFOs; only a device node whose *open* has side effects could notice,
and only someone who can write into the root can place such a link.

Containment compares whole path components: ``/srv/public-private/x`` is *not* within
``/srv/public`` although the string starts with it.

A path that is outside the root raises :class:`OutsideRoot`, a ``FileNotFoundError``: it
answers 404 exactly like a missing file, so a client cannot tell whether something exists
out there (no existence oracle). That holds when opening fails too: a file outside that
exists but may not be read (``EACCES``) must not give 403 where a missing one gives 404.
"""

from __future__ import annotations

import os
import sys
from typing import Final

__all__ = [
    "OPEN_FLAGS",
    "OutsideRoot",
    "fd_path",
    "open_within",
    "prove_within",
    "realpath",
    "within",
]

#: Read-only, never blocking (a FIFO cannot hang the server), not inherited by children.
OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

_PROC_FD: Final = "/proc/self/fd/"
_F_GETPATH: Final = 50  # fcntl.h on macOS; fcntl.F_GETPATH where Python exposes it
_MAXPATHLEN: Final = 1024


class OutsideRoot(FileNotFoundError):
    """The path (or what it leads to) lies outside the root: answered as "not found"."""


def within(path: str, root: str) -> bool:
    """Whether the normalised absolute ``path`` is ``root`` or below it, by whole components.

    A plain ``startswith(root)`` would let ``/srv/public-private`` pass for ``/srv/public``;
    comparing with the root plus a separator cannot.
    """
    if path == root:
        return True
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path.startswith(prefix)


_use_proc = sys.platform.startswith("linux")


def fd_path(fd: int) -> str | None:
    """The absolute path of the open file ``fd`` as the kernel knows it, or None if unknown.

    Linux: the ``/proc/self/fd/N`` link (for a file deleted since it was opened the kernel
    appends `` (deleted)``, which keeps it within its old directory: it was there). macOS:
    ``fcntl(F_GETPATH)``. Anything that is not an absolute path (a pipe, a socket) is None.
    """
    global _use_proc
    found: str | None = None
    if _use_proc:
        try:
            found = os.readlink(_PROC_FD + str(fd))
        except FileNotFoundError:
            _use_proc = False  # no /proc mounted: use the fallback from now on
            return None
        except OSError:
            return None
    elif sys.platform == "darwin":  # pragma: no cover - not the platform the tests run on
        import fcntl  # noqa: PLC0415 (platform-optional (POSIX fcntl))

        try:
            raw = fcntl.fcntl(fd, getattr(fcntl, "F_GETPATH", _F_GETPATH), bytes(_MAXPATHLEN))
        except OSError:
            return None
        found = os.fsdecode(raw.split(b"\0", 1)[0])
    if found is None or not found.startswith(os.sep):
        return None
    return found


def realpath(path: str) -> str | None:
    """``os.path.realpath``, or None when the path changes under it.

    Python's resolver lstat()s a component and then readlink()s it; a symlink replaced by a
    directory in between makes it raise ``EINVAL``. A path that moves while it is being
    resolved cannot be placed, so callers treat None as "not within".
    """
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return None


def _proven_path(fd: int, st: os.stat_result, path: str) -> str | None:
    """Where the open file ``fd`` (whose fstat is ``st``) really is; None if it cannot be told.

    The kernel's answer when there is one, else the resolved ``path`` provided it names the
    very inode that is open (see the module docstring for why the kernel is preferred).
    """
    found = fd_path(fd)
    if found is not None:
        return found
    real = realpath(path)
    if real is None:
        return None
    try:
        again = os.stat(real)
    except OSError:
        return None
    if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino):
        return None
    return real


def open_within(
    path: str, root: str | None, *, place_failures: bool = True
) -> tuple[int, os.stat_result, str]:
    """Open ``path`` read-only; with a ``root``, prove that the opened file lies within it.

    Returns the descriptor (the caller closes it), its ``fstat`` and its real path (``path``
    itself when no root is given: nothing was resolved). Raises what ``os.open`` raises for
    paths within the root (``FileNotFoundError``, ``PermissionError``, ...) and
    :class:`OutsideRoot` for anything outside it, whether it exists or not. Directories and
    other non-regular files are opened too: the caller decides from ``fstat``.

    Telling an outside failure from an inside one costs a path resolution; a caller that
    treats every failure alike (a missing pre-compressed sibling) passes
    ``place_failures=False`` and gets the ``os.open`` error as is.
    """
    try:
        fd = os.open(path, OPEN_FLAGS)
    except ValueError:  # a NUL byte: no file has that name
        raise FileNotFoundError(path) from None
    except OSError:
        # Say "outside" rather than "forbidden" or "too many links" for what lies outside,
        # so an error cannot tell an outside file that exists from one that does not.
        if root is not None and place_failures:
            real = realpath(path)
            if real is None or not within(real, root):
                raise OutsideRoot(path) from None
        raise
    try:
        st = os.fstat(fd)
        real = path if root is None else prove_within(fd, st, path, root)
    except BaseException:
        os.close(fd)
        raise
    return fd, st, real


def prove_within(fd: int, st: os.stat_result, path: str, root: str) -> str:
    """The real path of the open file ``fd`` (opened as ``path``), if it lies within ``root``.

    Raises :class:`OutsideRoot` when it does not, or when where it lies cannot be told.
    The descriptor stays open either way: it belongs to the caller.
    """
    real = _proven_path(fd, st, path)
    if real is None or not within(real, root):
        raise OutsideRoot(path)
    return real
