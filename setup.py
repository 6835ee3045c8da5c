"""Build aioweb, compiling its hot-path modules with Cython when a compiler is at hand.

The compiled modules stay plain Python files: the ``.py`` is the only source, and a ``.pxd``
beside it (Cython's "augmenting" declarations) gives its classes C-typed attributes.  Without
Cython or a C compiler, or with ``AIOWEB_NO_EXTENSIONS=1``, the same files run as they are.

Each compiled module gets a ``.srchash`` file beside it: the hash of the ``.py`` and ``.pxd``
it was built from.  ``aioweb/_extensions.py`` loads the compiled module only while that hash
matches, so an edited source is never shadowed by a stale build.

    python setup.py build_ext --inplace     # what scripts/bootstrap.sh runs (incremental)

The modules are translated and compiled in parallel, one job per CPU (``AIOWEB_BUILD_JOBS``
sets another count): the C files Cython writes are large, and compiling eight of them one
after another was most of a cold set-up.  Only modules whose ``.py``/``.pxd`` (or generated
``.c``) changed since their last build are rebuilt, and each one built is reported with a
counter as it finishes, so a long build is never silent.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

sys.path.insert(0, str(Path(__file__).resolve().parent / "aioweb"))
from _extensions import COMPILED_MODULES, source_hash

sys.path.pop(0)

DIRECTIVES = {
    "language_level": 3,
    "binding": True,  # functions keep their Python introspection (signatures, __wrapped__)
    "annotation_typing": False,  # the .pxd declares C types; hints stay hints
    "embedsignature": True,
}
# No debug information: it roughly doubles the size of each module and adds to the compile
# time, and nothing reads it (the generated C is not what anyone steps through).
COMPILE_ARGS = ["-g0"] if os.name == "posix" else []


def build_jobs() -> int:
    """Parallel jobs for translating and compiling: ``AIOWEB_BUILD_JOBS`` or the CPU count."""
    wanted = os.environ.get("AIOWEB_BUILD_JOBS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _extensions() -> list:
    if os.environ.get("AIOWEB_NO_EXTENSIONS"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("aioweb: Cython is not installed; building pure Python", file=sys.stderr)
        return []
    sources = [name.replace(".", "/") + ".py" for name in COMPILED_MODULES]
    extensions = cythonize(
        sources, compiler_directives=DIRECTIVES, quiet=True, nthreads=min(build_jobs(), 8)
    )
    for extension in extensions:
        extension.optional = True  # a failed compile leaves the pure Python module in charge
        extension.extra_compile_args = [*extension.extra_compile_args, *COMPILE_ARGS]
    return extensions


class BuildExt(build_ext):
    """``build_ext`` that builds in parallel, reports each module it compiles, and records
    beside each built module the source hash it came from.

    A module whose build failed gets no hash (an older one is removed), so whatever binary
    is left beside its source from an earlier build is not used.
    """

    def finalize_options(self) -> None:
        super().finalize_options()
        if not self.parallel:
            self.parallel = build_jobs()  # also for `pip wheel .`, which passes no -j

    def run(self) -> None:
        self.succeeded: set[str] = set()
        self._lock = threading.Lock()
        self._done = 0
        self._started = time.monotonic()
        # Largest generated C first: the longest compiles start at once instead of last
        # finishing alone on one core while the other idles.
        self.extensions.sort(key=_c_size, reverse=True)
        self._todo = [ext.name for ext in self.extensions if self._needs_build(ext)]
        if self._todo:
            _say(f"compiling {len(self._todo)} module(s), {self.parallel} at a time")
        super().run()

    def _needs_build(self, ext) -> bool:  # type: ignore[no-untyped-def]
        """The test build_ext itself applies: a source (or declared depend) newer than the
        built module under build/, where --inplace builds before copying."""
        inplace, self.inplace = self.inplace, 0
        try:
            built = Path(self.get_ext_fullpath(ext.name))
        finally:
            self.inplace = inplace
        if self.force or not built.exists():
            return True
        mtime = built.stat().st_mtime
        return any(
            not Path(s).exists() or Path(s).stat().st_mtime > mtime
            for s in [*ext.sources, *ext.depends]
        )

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        built = Path(self.get_ext_fullpath(ext.name))
        _forget_hash(ext.name, built)
        started = time.monotonic()
        try:
            super().build_extension(ext)  # raises when the build fails
        except Exception:
            self._report(ext.name, started, "FAILED (stays pure Python)")
            raise
        _record_hash(ext.name, built)
        self.succeeded.add(ext.name)
        if ext.name in self._todo:
            self._report(ext.name, started, "compiled")

    def _report(self, name: str, started: float, what: str) -> None:
        with self._lock:
            self._done += 1
            now = time.monotonic()
            _say(
                f"[{self._done}/{len(self._todo)}] {what} {name} in {now - started:.0f} s "
                f"({now - self._started:.0f} s so far)"
            )

    def copy_extensions_to_source(self) -> None:
        # --inplace: setuptools builds under build/ and copies the modules next to the sources.
        super().copy_extensions_to_source()
        for ext in self.extensions:
            source = Path(ext.name.replace(".", "/") + ".py")
            if ext.name in self.succeeded:
                built = source.with_name(Path(self.get_ext_filename(ext.name)).name)
                _record_hash(ext.name, built)
            else:
                _forget_hash(ext.name, source)


def _c_size(ext) -> int:  # type: ignore[no-untyped-def]
    return sum(Path(s).stat().st_size for s in ext.sources if Path(s).exists())


def _say(message: str) -> None:
    print(f"aioweb build: {message}", file=sys.stderr, flush=True)


def _forget_hash(name: str, built: Path) -> None:
    built.with_name(name.rpartition(".")[2] + ".srchash").unlink(missing_ok=True)


def _record_hash(name: str, built: Path) -> None:
    if built.exists():
        source = Path(name.replace(".", "/") + ".py")
        built.with_name(source.stem + ".srchash").write_text(source_hash(source) + "\n")


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
