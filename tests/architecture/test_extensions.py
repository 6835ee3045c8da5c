"""The Cython-compiled hot path: built, used, and never shadowing an edited source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aioweb import _extensions

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.skipif(
    _extensions.extensions_disabled(), reason="AIOWEB_NO_EXTENSIONS is set: pure Python run"
)
def test_one_stale_build_runs_the_whole_package_from_source(tmp_path: Path) -> None:
    """A current ``protocol`` build beside an edited ``parser`` would meet the parser's pure
    twin of the C type it cimports and fail at import: one stale build sends every compiled
    module to its source, with a warning naming it."""
    import shutil

    shutil.copytree(ROOT / "aioweb", tmp_path / "aioweb", ignore=shutil.ignore_patterns("*.c"))
    with (tmp_path / "aioweb" / "http" / "parser.py").open("a") as parser:
        parser.write("\n# edited\n")
    code = (
        "import importlib, warnings, aioweb\n"
        "from aioweb._extensions import COMPILED_MODULES, compiled_modules\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    for name in COMPILED_MODULES: importlib.import_module(name)\n"
        "print([str(w.message) for w in seen if 'partial or stale' in str(w.message)])\n"
        "print(compiled_modules())"
    )
    env = {k: v for k, v in os.environ.items() if k != _extensions.DISABLE_VARIABLE}
    env["PYTHONPATH"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    warned, modules = out.stdout.splitlines()
    assert "http/parser.py" in warned, out.stdout
    assert not any(eval(modules).values()), modules


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


def test_a_build_without_its_source_is_refused(tmp_path: Path) -> None:
    """A module moved or deleted leaves its build behind; importing that build would run old
    code, so the finder refuses it with an error naming the orphan."""
    built = tmp_path / ("orphan" + _extensions.importlib.machinery.EXTENSION_SUFFIXES[0])
    built.write_bytes(b"an old build")
    finder = _extensions._CurrentBuildFinder
    with pytest.raises(ModuleNotFoundError, match=r"orphan\..*no longer exists") as caught:
        finder.find_spec("aioweb.orphan", [str(tmp_path)])
    assert caught.value.name == "aioweb.orphan"
    assert finder.find_spec("aioweb.missing", [str(tmp_path)]) is None  # nothing there at all


def test_a_package_wins_over_an_orphaned_build(tmp_path: Path) -> None:
    """A module that became a package of the same name: the package is imported, and the old
    build beside it is reported."""
    (tmp_path / "moved").mkdir()
    (tmp_path / "moved" / "__init__.py").write_text("")
    built = tmp_path / ("moved" + _extensions.importlib.machinery.EXTENSION_SUFFIXES[0])
    built.write_bytes(b"an old build")
    with pytest.warns(RuntimeWarning, match="orphaned build"):
        assert _extensions._CurrentBuildFinder.find_spec("aioweb.moved", [str(tmp_path)]) is None


def test_a_real_orphan_is_not_imported(tmp_path: Path) -> None:
    """End to end, in a fresh interpreter: a copy of a real build, whose .py is absent, inside
    an ``aioweb`` package path, fails to import instead of running."""
    real = next(
        (p for p in Path(_extensions.__file__).parent.rglob("*.so")), None
    )  # any build will do: it is never executed
    if real is None:
        pytest.skip("no compiled module in this tree (pure Python install)")
    package = tmp_path / "aioweb"
    package.mkdir()
    (package / "__init__.py").write_text(
        f"import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('_ext', {_extensions.__file__!r})\n"
        f"_ext = importlib.util.module_from_spec(spec); spec.loader.exec_module(_ext)\n"
        f"_ext.install()\n"
    )
    (package / ("ghost" + _extensions.importlib.machinery.EXTENSION_SUFFIXES[0])).write_bytes(
        real.read_bytes()
    )
    result = subprocess.run(
        [sys.executable, "-c", "import aioweb.ghost"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ModuleNotFoundError" in result.stderr and "no longer exists" in result.stderr


def test_clean_orphans_deletes_builds_without_a_listed_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suffix = _extensions.importlib.machinery.EXTENSION_SUFFIXES[0]
    package = tmp_path / "aioweb"
    (package / "sub").mkdir(parents=True)
    keep = [package / "kept.py", package / f"kept{suffix}", package / "kept.c"]
    keep += [package / "kept.srchash", package / "sub" / "unlisted.py"]
    gone = [package / f"moved{suffix}", package / "moved.c", package / "moved.srchash"]
    gone += [package / "sub" / f"unlisted{suffix}", package / "sub" / "unlisted.srchash"]
    lib = tmp_path / "build" / "lib.test" / "aioweb"
    lib.mkdir(parents=True)
    keep.append(lib / f"kept{suffix}")
    gone.append(lib / f"moved{suffix}")
    for path in keep + gone:
        path.write_text("")
    removed = _extensions.clean_orphans(tmp_path, ("aioweb.kept", "aioweb.moved"))
    assert sorted(removed) == sorted(gone)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in gone)
    printed = capsys.readouterr().out
    assert printed.count("removed orphaned build") == len(gone)
    assert _extensions.clean_orphans(tmp_path, ("aioweb.kept",)) == []  # idempotent
