"""The companions' own test suites, laid out for a run: fetched, extracted, imports rewritten.

aioweb builds in what aiohttp users get from five companion packages (aiohttp-jinja2,
aiohttp-session, aiohttp-sse, pytest-aiohttp and Motor's ``AIOHTTPGridFS``).  The strongest check
that the built-in versions are the same is the companions' *own* tests, run unchanged except for
their imports.  Nothing of those packages is committed: their sdists are downloaded at test time
with pip (checked against the sha256 recorded here) into ``.cache/companions/`` (git-ignored).

Each suite is laid out twice under ``.cache/companions/work/``:

* ``<suite>-original``: the files as shipped, run against the real package on aiohttp (the
  baseline: a test that fails there is not aioweb's to pass);
* ``<suite>-aioweb``: the same files after :func:`rewrite_imports`, run against aioweb.

Why a line rewrite and not an import hook: aiohttp's client, which the tests keep using, imports
aiohttp's own modules; only the test files' imports may change.  A line-for-line rewrite keeps
every line number, so a traceback points at the line of the original file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "companions"
SDISTS = CACHE / "sdists"
WORK = CACHE / "work"
# Installed with ``pip install --target`` (never into .venv): the real companions, run by the
# baseline only, and pytest-aiohttp, whose plugin would otherwise load in every pytest run here.
SITE_ORIGINAL = CACHE / "site-original"
# For the baseline: an empty ``aioweb`` package in front of the real one, so that the baseline
# cannot touch aioweb and aioweb's pytest11 entry point (``aioweb.pytest_plugin``) loads nothing
# beside pytest-aiohttp's plugin, also in pytester's in-process runs (which drop PYTEST_ADDOPTS).
NO_AIOWEB = CACHE / "no-aioweb"
# Test-only helpers both variants import: Motor's test package imports mockupdb; two
# aiohttp-session tests use pytest-mock's ``mocker``.
SITE_COMMON = CACHE / "site-common"
COMMON_PACKAGES = ("mockupdb==1.8.1", "pytest-mock==3.15.1")

# Lines every suite's ini gets besides its own options: the plugin of pytest-asyncio 1.x asks for
# an explicit loop scope, and a .so left stale by an edit in progress (another engineer's) is not
# the companion's concern.
_COMMON_INI = """\
asyncio_default_fixture_loop_scope = function
filterwarnings =
    {filters}
    ignore:.*was built from another version of:RuntimeWarning
"""


@dataclass(frozen=True)
class Suite:
    """One companion's test suite: where it comes from and how its maintainers run it."""

    name: str
    requirement: str  # pip requirement of the sdist
    sha256: str
    prefix: str  # the sdist's top directory
    files: tuple[str, ...]  # paths (files or directories) of the sdist to lay out
    targets: tuple[str, ...]  # what pytest runs, relative to the layout
    ini: str  # the suite's own pytest options (from its sdist or repository), minus coverage
    filters: tuple[str, ...] = ("error",)
    replaced_conftest: str | None = None  # a conftest written by us (see companion_conftests)
    timeout: float = 240.0  # the whole run; each test gets half (pytest-timeout)
    env: dict[str, str] = field(default_factory=dict)


SUITES: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite(
            name="aiohttp-jinja2",
            requirement="aiohttp-jinja2==1.6",
            sha256="a3a7ff5264e5bca52e8ae547bbfd0761b72495230d438d05b6c0915be619b0e2",
            prefix="aiohttp-jinja2-1.6",
            files=("tests",),
            targets=("tests",),
            ini="asyncio_mode = auto\nxfail_strict = true\n",
        ),
        Suite(
            name="aiohttp-session",
            requirement="aiohttp-session==2.12.1",
            sha256="15e6e0288e9bcccd4b1d0c28aae9c20e19a252b12d0cb682223ca9c83180e899",
            prefix="aiohttp_session-2.12.1",
            files=("tests",),
            targets=("tests",),
            # the repository's pytest.ini has only the warning filter; its CI runs auto mode
            ini="asyncio_mode = auto\n",
            replaced_conftest="tests/conftest.py",
        ),
        Suite(
            name="aiohttp-sse",
            requirement="aiohttp-sse==3.0",
            sha256="4c2158dc7221fbcad225699c2b7c368c15ae45ef195447ddd0ba3dea5af24c70",
            prefix="aiohttp_sse-3.0",
            files=("tests",),
            targets=("tests",),
            # the sdist has no pytest.ini; the repository's says this
            ini="asyncio_mode = auto\nxfail_strict = true\n",
        ),
        Suite(
            name="pytest-aiohttp",
            requirement="pytest-aiohttp==1.1.0",
            sha256="147de8cb164f3fc9d7196967f109ab3c0b93ea3463ab50631e56438eab7b5adc",
            prefix="pytest_aiohttp-1.1.0",
            files=("tests",),
            targets=("tests",),
            ini="asyncio_mode = auto\n",
        ),
        Suite(
            name="motor-aiohttp",
            requirement="motor==3.7.1",
            sha256="27b4d46625c87928f331a6ca9d7c51c2f518ba0e270939d395bc1ddc89d64526",
            prefix="motor-3.7.1",
            files=(
                "test/__init__.py",
                "test/assert_logs_backport.py",
                "test/test_environment.py",
                "test/utils.py",
                "test/version.py",
                "test/certificates",
                "test/asyncio_tests/__init__.py",
                "test/asyncio_tests/test_aiohttp_gridfs.py",
            ),
            targets=("test/asyncio_tests/test_aiohttp_gridfs.py",),
            ini="xfail_strict = true\n",
            filters=(  # Motor's own list (pyproject.toml), less the ones for older aiohttp
                "error",
                "ignore:Bare functions are deprecated, use async ones:DeprecationWarning",
                "ignore:Application.make_handler:DeprecationWarning",
                "ignore:unclosed <socket.socket:ResourceWarning",
                "ignore:unclosed event loop:ResourceWarning",
                "ignore: The fetch_next property is deprecated:DeprecationWarning",
                "ignore:The next_object method is deprecated:DeprecationWarning",
                "ignore:unclosed <ssl.SSLSocket:ResourceWarning",
                "ignore:datetime.datetime.utc:DeprecationWarning",
                "ignore:GridOut property 'contentType' is deprecated and will be removed in "
                "PyMongo 5.0:DeprecationWarning",
                "ignore:GridIn property 'contentType' is deprecated and will be removed in "
                "PyMongo 5.0:DeprecationWarning",
                "ignore:GridOut property 'aliases' is deprecated and will be removed in "
                "PyMongo 5.0:DeprecationWarning",
                "ignore:Unclosed AsyncMongoClient*",
                "ignore:Unclosed MongoClient*",
            ),
        ),
    )
}


# --- the import rewrite -------------------------------------------------------------------------

# A companion module (or aiohttp's server-side module) -> the aioweb module that replaces it.
# aiohttp's client modules are not here: the tests keep aiohttp's client.
MODULES: dict[str, str] = {
    "aiohttp_jinja2": "aioweb.jinja2",
    "aiohttp_session": "aioweb.session",
    "aiohttp_session.cookie_storage": "aioweb.session.cookie_storage",
    "aiohttp_session.redis_storage": "aioweb.session.redis_storage",
    "aiohttp_session.nacl_storage": "aioweb.session.nacl_storage",
    "aiohttp_session.memcached_storage": "aioweb.session.memcached_storage",
    "aiohttp_sse": "aioweb.sse",
    "pytest_aiohttp": "aioweb.pytest_plugin",
    "pytest_aiohttp.plugin": "aioweb.pytest_plugin",
    "motor.aiohttp": "aioweb.gridfs",
    "aiohttp.web": "aioweb.web",
    "aiohttp.test_utils": "aioweb.test_utils",
    "aiohttp.pytest_plugin": "aioweb.pytest_plugin",
    "aiohttp.typedefs": "aioweb.typedefs",
    "aiohttp.abc": "aioweb.abc",
    "aiohttp.hdrs": "aioweb.hdrs",
    "aiohttp.web_exceptions": "aioweb.web_exceptions",
}
# ``from aiohttp import <name>``: the server-side names, taken from aioweb instead.
SERVER_NAMES = frozenset({"web", "test_utils", "pytest_plugin", "typedefs", "web_exceptions"})

_FROM = re.compile(r"^(?P<indent>\s*)from\s+(?P<module>[\w.]+)\s+import\s+(?P<rest>.*)$")
_IMPORT = re.compile(r"^(?P<indent>\s*)import\s+(?P<module>[\w.]+)\s*(?P<alias>as\s+\w+)?\s*$")


def _rewrite_line(line: str) -> tuple[str, set[str]]:
    """One line's rewrite, and the dotted aiohttp modules it made reachable as attributes."""
    if m := _FROM.match(line):
        indent, module, rest = m["indent"], m["module"], m["rest"]
        if module in MODULES:
            return f"{indent}from {MODULES[module]} import {rest}", set()
        if module == "aiohttp" and "(" not in rest:
            names = [n.strip() for n in rest.split(",") if n.strip()]
            ours = [n for n in names if n.split(" as ")[0].strip() in SERVER_NAMES]
            theirs = [n for n in names if n not in ours]
            parts = []
            if ours:
                parts.append(f"from aioweb import {', '.join(ours)}")
            if theirs:
                parts.append(f"from aiohttp import {', '.join(theirs)}")
            return indent + "; ".join(parts), set()
        return line, set()
    if m := _IMPORT.match(line):
        indent, module, alias = m["indent"], m["module"], m["alias"]
        if module not in MODULES:
            return line, set()
        if alias:
            return f"{indent}import {MODULES[module]} {alias}", set()
        if "." in module:  # ``import aiohttp.web``: its uses are rewritten as attributes
            top = module.split(".")[0]
            return f"{indent}import {top}; import {MODULES[module]}", {module}
        return f"{indent}import {MODULES[module]} as {module}", set()
    return line, set()


def rewrite_imports(source: str) -> str:
    """``source`` with the imports of companion and aiohttp server-side modules pointed at aioweb.

    Only import statements change (also those inside the pytester tests' embedded files, which
    are the same lines in a string), plus the attribute uses of a module imported dotted
    (``import aiohttp.web`` then ``aiohttp.web.Application``).  Line numbers are kept.
    """
    lines = source.split("\n")
    dotted: set[str] = set()
    for i, line in enumerate(lines):
        lines[i], made = _rewrite_line(line)
        dotted |= made
    text = "\n".join(lines)
    for module in sorted(dotted):
        text = re.sub(rf"\b{re.escape(module)}\.", MODULES[module] + ".", text)
    return text


# --- fetching and laying out --------------------------------------------------------------------


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def sdist(suite: Suite) -> Path:
    """The suite's sdist, downloaded once with pip and checked against its recorded sha256."""
    SDISTS.mkdir(parents=True, exist_ok=True)
    found = [p for p in SDISTS.glob("*.tar.gz") if _sha256(p) == suite.sha256]
    if not found:
        _pip("download", "--no-deps", "--no-binary", ":all:", "-d", str(SDISTS), suite.requirement)
        found = [p for p in SDISTS.glob("*.tar.gz") if _sha256(p) == suite.sha256]
    if not found:
        raise RuntimeError(f"{suite.requirement}: no sdist with sha256 {suite.sha256}")
    return found[0]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """An exclusive lock on ``.cache/companions/<name>.lock``: two pytest sessions (or xdist
    workers) that need the same download, install or layout take turns instead of racing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_sites() -> None:
    """The two pip ``--target`` directories the runs put on ``PYTHONPATH`` (built once)."""
    with locked("sites"):
        _ensure_sites()


def _ensure_sites() -> None:
    if not (SITE_COMMON / ".complete").exists():
        shutil.rmtree(SITE_COMMON, ignore_errors=True)
        _pip("install", "--no-deps", "--target", str(SITE_COMMON), *COMMON_PACKAGES)
        (SITE_COMMON / ".complete").write_text("\n".join(COMMON_PACKAGES))
    stub = NO_AIOWEB / "aioweb"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""Not aioweb: the companion baseline runs without it."""\n')
    (stub / "pytest_plugin.py").write_text('"""Empty: the baseline uses pytest-aiohttp."""\n')
    if not (SITE_ORIGINAL / ".complete").exists():
        shutil.rmtree(SITE_ORIGINAL, ignore_errors=True)
        archives = [str(sdist(s)) for s in SUITES.values()]
        _pip("install", "--no-deps", "--target", str(SITE_ORIGINAL), *archives)
        (SITE_ORIGINAL / ".complete").write_text("\n".join(archives))


def lay_out(suite: Suite, variant: str, conftest: str | None) -> Path:
    """A fresh directory with the suite's test files (rewritten for ``variant == "aioweb"``)."""
    target = WORK / f"{suite.name}-{variant}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    prefix = suite.prefix + "/"
    with tarfile.open(sdist(suite)) as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            rel = member.name[len(prefix) :]
            if not any(rel == f or rel.startswith(f + "/") for f in suite.files):
                continue
            data = archive.extractfile(member).read()  # type: ignore[union-attr]
            if rel.endswith(".py") and variant == "aioweb":
                data = rewrite_imports(data.decode()).encode()
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if suite.replaced_conftest and conftest is not None:
        (target / suite.replaced_conftest).write_text(conftest)
    filters = "\n    ".join(suite.filters)
    (target / "pytest.ini").write_text(
        "[pytest]\n" + suite.ini + _COMMON_INI.format(filters=filters)
    )
    return target
