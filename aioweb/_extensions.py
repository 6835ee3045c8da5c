"""Which aioweb modules run compiled, and the import rule that keeps a stale build out.

Some hot-path modules are compiled with Cython (see ``setup.py``): the compiled module sits
beside its ``.py`` and Python's import system would prefer it even after the ``.py`` was
edited.  The finder installed here loads a compiled module only when the ``.srchash`` written
at build time matches the current ``.py`` and ``.pxd``; otherwise, and whenever
``AIOWEB_NO_EXTENSIONS`` is set (to anything but empty), the ``.py`` is imported.

This file must stay importable on its own: ``setup.py`` reads the module list from it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = [
    "COMPILED_MODULES",
    "clean_orphans",
    "compiled_modules",
    "frames_per_call",
    "install",
    "source_hash",
]

#: Modules built with Cython when possible, each with a ``.pxd`` of C declarations beside it.
COMPILED_MODULES: tuple[str, ...] = (
    "aioweb.http.parser",
    "aioweb.http.writer",
    "aioweb.server.protocol",
    "aioweb.server.carrier",
    "aioweb.server.streams",
    "aioweb.framework.response_short",
    "aioweb.framework.response",
    "aioweb.framework.json_response",
    "aioweb.framework.request_fields",
    "aioweb.framework.request",
    "aioweb.framework.routing.routes",
    "aioweb.framework.routing.match_info",
    "aioweb.framework.routing.resources",
    "aioweb.framework.routing.dispatcher",
    "aioweb.framework.websocket_session",
)

DISABLE_VARIABLE = "AIOWEB_NO_EXTENSIONS"


def source_hash(source: Path) -> str:
    """The hash a build records: the ``.py`` and its ``.pxd`` (when there is one)."""
    digest = hashlib.sha256(source.read_bytes())
    declarations = source.with_suffix(".pxd")
    if declarations.exists():
        digest.update(b"\0pxd\0" + declarations.read_bytes())
    return digest.hexdigest()


def extensions_disabled() -> bool:
    return bool(os.environ.get(DISABLE_VARIABLE))


class _CurrentBuildFinder:
    """Meta path finder for aioweb's modules: a module of :data:`COMPILED_MODULES` runs
    compiled if its build is current, else from source; any other aioweb module runs from
    source even when a build of it is left beside it (from when it was on the list)."""

    @classmethod
    def find_spec(
        cls,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if not fullname.startswith("aioweb.") or not path:
            return None
        listed = fullname in COMPILED_MODULES
        stem = fullname.rpartition(".")[2]
        for entry in path:
            source = Path(entry, stem + ".py")
            if not source.exists():
                if Path(entry, stem, "__init__.py").exists():
                    _warn_orphans(source, fullname)
                    continue  # a package of that name: the standard finders load it
                orphans = _built_files(source)
                if orphans:
                    # Without this, the standard finder would import the build of a module
                    # whose source was deleted or moved: stale code, silently.
                    raise ModuleNotFoundError(
                        f"{orphans[0]} is a build of {fullname}, whose source {source.name} "
                        "no longer exists; delete it (scripts/bootstrap.sh does)",
                        name=fullname,
                    )
                continue
            if listed:
                if (
                    not extensions_disabled()
                    and _build_is_current(source)
                    and _whole_build_is_current()
                ):
                    return None  # the standard finders load the extension module
            elif not _built_files(source):
                return None  # nothing could shadow the source: the standard finders
            return importlib.util.spec_from_file_location(fullname, source)
        return None


def _built_files(source: Path) -> list[Path]:
    return [
        p
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        if (p := source.with_suffix(suffix)).exists()
    ]


def _warn_orphans(source: Path, fullname: str) -> None:
    """A package wins over a module build of the same name, but the build must go."""
    orphans = _built_files(source)
    if orphans:
        warnings.warn(
            f"{orphans[0]} is an orphaned build beside the package {fullname}; delete it "
            "(scripts/bootstrap.sh does)",
            RuntimeWarning,
            stacklevel=3,
        )


def clean_orphans(root: Path, modules: Sequence[str] = COMPILED_MODULES) -> list[Path]:
    """Delete the builds under ``root`` (the directory holding the ``aioweb`` package) that
    belong to no listed module with a source: extension modules, their ``.c`` and
    ``.srchash``, in place and under ``build/``.  Each deletion is printed and returned.

    ``.py`` files are never touched.  A module moved or dropped from :data:`COMPILED_MODULES` leaves its build behind; in
    place the import finder refuses it, under ``build/`` ``setup.py`` would compare against
    it.  Running this before compiling keeps both trees to what the sources say.
    """
    root = Path(root)
    wanted = set(modules)
    removed: list[Path] = []
    suffixes = sorted(importlib.machinery.EXTENSION_SUFFIXES, key=len, reverse=True)
    trees = [root]
    build = root / "build"
    if build.is_dir():
        trees += [tree for tree in sorted(build.iterdir()) if tree.is_dir()]
    for tree in trees:
        package = tree / "aioweb"
        if not package.is_dir():
            continue
        for path in sorted(package.rglob("*")):
            if not path.is_file():
                continue
            name = path.name
            stem = next((name[: -len(s)] for s in suffixes if name.endswith(s)), None)
            if stem is None and name.endswith((".c", ".srchash", ".o")):
                stem = name.rpartition(".")[0]
            if stem is None:
                continue
            relative = path.parent.relative_to(tree) / stem
            module = ".".join(relative.parts)
            source = root / relative.with_suffix(".py")
            if module in wanted and source.exists():
                continue
            path.unlink()
            removed.append(path)
            print(f"aioweb build: removed orphaned build {path.relative_to(root)}", flush=True)
    return removed


def _build_is_current(source: Path) -> bool:
    built = _built_files(source)
    if not built:
        return False
    recorded = source.with_suffix(".srchash")
    if recorded.exists() and recorded.read_text().strip() == source_hash(source):
        return True
    warnings.warn(
        f"{built[0].name} was built from another version of {source.name}; using the source. "
        "Rebuild with `python setup.py build_ext --inplace` (scripts/bootstrap.sh does).",
        RuntimeWarning,
        stacklevel=2,
    )
    return False


def _current(source: Path) -> bool:
    """:func:`_build_is_current` without its warning."""
    stamp = source.with_suffix(".srchash")
    return (
        bool(_built_files(source))
        and stamp.exists()
        and stamp.read_text().strip() == source_hash(source)
    )


@functools.cache
def _whole_build_is_current() -> bool:
    """Whether every listed module's build is current (or none is built: a pure install).

    All or nothing: compiled modules use each other's C types (``protocol`` cimports the
    parser's ``RequestHead``), so a current build beside a stale one would meet the stale
    one's pure-Python twin and fail at import (``KeyError: '__pyx_vtable__'``).  Editing one
    compiled module therefore runs the whole package from source until it is rebuilt."""
    root = Path(__file__).parent
    sources = [root.joinpath(*name.split(".")[1:]).with_suffix(".py") for name in COMPILED_MODULES]
    built = [source for source in sources if _built_files(source)]
    if not built:
        return True  # nothing compiled here: each module runs from its source anyway
    stale = [source.relative_to(root).as_posix() for source in sources if not _current(source)]
    if not stale:
        return True
    warnings.warn(
        f"the compiled build is partial or stale ({', '.join(stale)}): every "
        "compiled module runs from source until rebuilt (scripts/bootstrap.sh does)",
        RuntimeWarning,
        stacklevel=3,
    )
    return False


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (idempotent)."""
    if _CurrentBuildFinder not in sys.meta_path:
        sys.meta_path.insert(0, _CurrentBuildFinder)


def compiled_modules() -> dict[str, bool]:
    """For each of :data:`COMPILED_MODULES` already imported: does it run compiled?"""
    return {
        name: not module.__file__.endswith(".py")
        for name in COMPILED_MODULES
        if (module := sys.modules.get(name)) is not None and module.__file__
    }


def frames_per_call(module_file: str) -> int:
    """The Python frames one call into a function of a module adds: 1 when the module runs
    from source, 0 when compiled (a Cython function has no frame of its own).

    A compiled module's ``warnings.warn`` counts its ``stacklevel`` with it, so that the
    warning names the application's line either way.
    """
    return 1 if module_file.endswith(".py") else 0
