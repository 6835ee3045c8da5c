"""The Cython-compiled hot path: built, used, and never shadowing an edited source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aioweb import _extensions

ROOT = Path(__file__).resolve().parent.parent


def _modules_in(env: dict[str, str]) -> dict[str, bool]:
    code = (
        "import importlib, aioweb\n"
        "from aioweb._extensions import COMPILED_MODULES, compiled_modules\n"
        "for name in COMPILED_MODULES: importlib.import_module(name)\n"
        "print(compiled_modules())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return eval(out)  # a dict literal printed by the child


@pytest.mark.skipif(
    _extensions.extensions_disabled(), reason="AIOWEB_NO_EXTENSIONS is set: pure Python run"
)
def test_hot_path_runs_compiled() -> None:
    """After scripts/bootstrap.sh every listed module is compiled (a failed build shows here)."""
    env = {k: v for k, v in os.environ.items() if k != _extensions.DISABLE_VARIABLE}
    modules = _modules_in(env)
    assert set(modules) == set(_extensions.COMPILED_MODULES)
    assert all(modules.values()), modules


def test_no_extensions_variable_runs_the_sources() -> None:
    modules = _modules_in({**os.environ, _extensions.DISABLE_VARIABLE: "1"})
    assert modules and not any(modules.values()), modules


def test_a_build_of_another_source_is_not_used(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("X = 1\n")
    (tmp_path / "mod.pxd").write_text("cdef int y\n")
    built = tmp_path / ("mod" + _extensions.importlib.machinery.EXTENSION_SUFFIXES[0])
    built.write_bytes(b"not really a module")
    assert not _build_is_current_quietly(source)  # no hash recorded
    (tmp_path / "mod.srchash").write_text(_extensions.source_hash(source) + "\n")
    assert _extensions._build_is_current(source)
    (tmp_path / "mod.pxd").write_text("cdef long y\n")  # the declarations changed
    assert not _build_is_current_quietly(source)
    (tmp_path / "mod.srchash").write_text(_extensions.source_hash(source) + "\n")
    source.write_text("X = 2\n")  # the source changed
    assert not _build_is_current_quietly(source)


def _build_is_current_quietly(source: Path) -> bool:
    with pytest.warns(RuntimeWarning, match="built from another version"):
        return _extensions._build_is_current(source)


def test_a_build_of_a_module_no_longer_listed_is_not_used(tmp_path: Path) -> None:
    """A module taken off COMPILED_MODULES runs from source even with its old build beside it
    (the standard finders would prefer the extension module)."""
    source = tmp_path / "unlisted.py"
    source.write_text("X = 1\n")
    finder = _extensions._CurrentBuildFinder
    assert finder.find_spec("aioweb.unlisted", [str(tmp_path)]) is None  # nothing to shadow it
    built = tmp_path / ("unlisted" + _extensions.importlib.machinery.EXTENSION_SUFFIXES[0])
    built.write_bytes(b"an old build")
    spec = finder.find_spec("aioweb.unlisted", [str(tmp_path)])
    assert spec is not None and spec.origin == str(source)
    assert finder.find_spec("elsewhere.unlisted", [str(tmp_path)]) is None  # not aioweb's
