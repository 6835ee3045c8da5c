"""Build aioweb, compiling its hot-path modules with Cython when a compiler is at hand.

The compiled modules stay plain Python files: the ``.py`` is the only source, and a ``.pxd``
beside it (Cython's "augmenting" declarations) gives its classes C-typed attributes.  Without
Cython or a C compiler, or with ``AIOWEB_NO_EXTENSIONS=1``, the same files run as they are.

Each compiled module gets a ``.srchash`` file beside it: the hash of the ``.py`` and ``.pxd``
it was built from.  ``aioweb/_extensions.py`` loads the compiled module only while that hash
matches, so an edited source is never shadowed by a stale build.

    python setup.py build_ext --inplace     # what scripts/bootstrap.sh runs (incremental)
"""

from __future__ import annotations

import os
import sys
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


def _extensions() -> list:
    if os.environ.get("AIOWEB_NO_EXTENSIONS"):
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("aioweb: Cython is not installed; building pure Python", file=sys.stderr)
        return []
    sources = [name.replace(".", "/") + ".py" for name in COMPILED_MODULES]
    extensions = cythonize(sources, compiler_directives=DIRECTIVES, quiet=True)
    for extension in extensions:
        extension.optional = True  # a failed compile leaves the pure Python module in charge
    return extensions


class BuildExt(build_ext):
    """``build_ext`` that records, beside each built module, the source hash it came from.

    A module whose build failed gets no hash (an older one is removed), so whatever binary
    is left beside its source from an earlier build is not used.
    """

    def run(self) -> None:
        self.succeeded: set[str] = set()
        super().run()

    def build_extension(self, ext) -> None:  # type: ignore[no-untyped-def]
        built = Path(self.get_ext_fullpath(ext.name))
        _forget_hash(ext.name, built)
        super().build_extension(ext)  # raises when the build fails
        _record_hash(ext.name, built)
        self.succeeded.add(ext.name)

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


def _forget_hash(name: str, built: Path) -> None:
    built.with_name(name.rpartition(".")[2] + ".srchash").unlink(missing_ok=True)


def _record_hash(name: str, built: Path) -> None:
    if built.exists():
        source = Path(name.replace(".", "/") + ".py")
        built.with_name(source.stem + ".srchash").write_text(source_hash(source) + "\n")


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
