"""aiohttp's plugins' own test suites, for a run against aioweb through the opt-in (issue 14).

A plugin written for ``aiohttp.web`` (aiohttp-cors, aiohttp-security...) is installed as it is,
and its own tests run unchanged twice: on aiohttp 3.14.5 (the baseline) and on aioweb, where a
pytest plugin (``plugin_optin``) calls :func:`aioweb.integrations.aiohttp_compat.enable` before
anything imports ``aiohttp.web``.  Unlike the companion suites (``companion_sources``), nothing
is rewritten: that the plugin and its tests run *unchanged* is the point.

The sdists are downloaded with pip and checked against their sha256 (``.cache/plugins``, never
committed), as the companion runner does for its suites; the plugins and their test
dependencies go into one virtual environment, ``.cache/venvs/plugins``, layered over the running
interpreter's packages (so aiohttp, pytest and aioweb are this checkout's), built once per list
of requirements (:func:`ensure_venv`).

Not every plugin named by the issue ships its tests in a registry artifact.  aiohttp-remotes
1.4.0's sdist has none: 1.3.0's sdist (the newest with tests) provides them, run against 1.4.0.
aiohttp-swagger3 0.10.0's sdist has its test modules without their conftest.py, helpers.py and
testdata/: the runner writes a conftest and helpers of its own (``plugin_swagger3_*.py``) and the
tests needing testdata/ skip.  The rest, listed in :data:`NO_SHIPPED_TESTS` with what was checked,
have no tests in any artifact the registry serves; the runner cannot fetch a repository at test
time, so they are exercised by this project's own scenarios (``test_plugin_scenarios.py``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".cache" / "plugins"
SDISTS = CACHE / "sdists"
WORK = CACHE / "work"
VENV = ROOT / ".cache" / "venvs" / "plugins"
# pytest-aiohttp for the baseline only (aioweb's own pytest11 plugin serves the fixtures there)
SITE_BASELINE = CACHE / "site-baseline"
BASELINE_PACKAGES = ("pytest-aiohttp==1.1.0",)
# For the baseline: an empty ``aioweb`` in front of the real one (aioweb's pytest11 entry point
# then loads nothing beside pytest-aiohttp's plugin)
NO_AIOWEB = CACHE / "no-aioweb"


@dataclass(frozen=True)
class Suite:
    """One plugin's test suite: where it comes from and how its maintainers run it."""

    name: str
    requirement: str  # pip requirement of the sdist (also what the venv installs)
    sha256: str
    prefix: str  # the sdist's top directory
    files: tuple[str, ...]  # paths (files or directories) of the sdist to lay out
    targets: tuple[str, ...]  # what pytest runs, relative to the layout
    ini: str  # the suite's own pytest options, minus coverage
    filters: tuple[str, ...] = ("error",)
    timeout: float = 120.0
    # what the venv installs, when the tests come from another release's sdist (``requirement``)
    install: str | None = None
    # (layout path, file beside this module): support files the sdist lacks, written by us
    support: tuple[tuple[str, str], ...] = ()
    # how many tests pass on aiohttp with the pinned versions: fewer means the layout (or our
    # support files) broke, which a comparison against that baseline alone would not notice
    baseline_passes: int = 1


def _suite(name: str, requirement: str, sha256: str, prefix: str, **kw: object) -> Suite:
    return Suite(name=name, requirement=requirement, sha256=sha256, prefix=prefix, **kw)  # type: ignore[arg-type]


PLUGINS: dict[str, Suite] = {
    s.name: s
    for s in (
        _suite(
            "aiohttp-cors",
            "aiohttp-cors==0.8.1",
            "ccacf9cb84b64939ea15f859a146af1f662a6b1d68175754a07315e305fb1403",
            "aiohttp_cors-0.8.1",
            files=("tests",),
            # the Selenium browser tests need a WebDriver: not installed, they skip on both
            targets=("tests",),
            ini="asyncio_mode = auto\n",
            baseline_passes=93,
        ),
        _suite(
            "aiohttp-security",
            "aiohttp-security==0.5.0",
            "50cb724d310e1d0289798bb98ae852c3b75b77e8f51ce5159c57b7261d0638bd",
            "aiohttp-security-0.5.0",
            files=("tests",),
            targets=("tests",),
            ini="asyncio_mode = auto\nxfail_strict = true\n",
            baseline_passes=17,
        ),
        _suite(
            "aiojobs",
            "aiojobs==1.4.0",
            "463665c75d1fcc46c78d44375c1034abf5e3f087894b0fc5ec4dd16ef90fdc98",
            "aiojobs-1.4.0",
            files=("tests/__init__.py", "tests/conftest.py", "tests/test_aiohttp.py"),
            targets=("tests/test_aiohttp.py",),  # aiojobs.aiohttp; the rest is the scheduler's
            ini="asyncio_mode = auto\n",
            baseline_passes=7,
        ),
        _suite(
            # 1.4.0's sdist ships no tests; 1.3.0's (the newest that does) run against 1.4.0,
            # whose code differs from 1.3.0 in typing spellings and one fix (a password with a
            # colon in it); the baseline says which of them pass on 1.4.0
            "aiohttp-remotes",
            "aiohttp-remotes==1.3.0",
            "4f8b95b02ed9126cf8f5f5a8f5e55c1b2d10fc5e7e7d421c172f9c7cd0719092",
            "aiohttp_remotes-1.3.0",
            files=("tests",),
            targets=("tests",),
            ini="asyncio_mode = auto\n",
            # (aiohttp 3.14 deprecates the client's BasicAuth and auth=, which two tests use)
            filters=(
                "error",
                "ignore:unclosed.+:ResourceWarning:",
                "ignore:BasicAuth is deprecated:DeprecationWarning",
                "ignore:The 'auth' parameter is deprecated:DeprecationWarning",
            ),
            install="aiohttp-remotes==1.4.0",
            baseline_passes=75,
        ),
        _suite(
            # the sdist ships tests/test_*.py without their conftest.py, helpers.py and
            # testdata/: the runner writes a conftest and helpers of its own (fixtures rebuilt
            # from how the tests call them); the tests that need testdata/ are skipped there
            "aiohttp-swagger3",
            "aiohttp-swagger3==0.10.0",
            "a333c59328f64dd64587e5f276ee84dc256f587d09f2da6ddaae3812fa4d4f33",
            "aiohttp_swagger3-0.10.0",
            files=("tests",),
            targets=("tests",),
            ini="asyncio_mode = auto\n",
            filters=("default",),
            support=(
                ("tests/__init__.py", "plugin_swagger3_init.py"),
                ("tests/conftest.py", "plugin_swagger3_conftest.py"),
                ("tests/helpers.py", "plugin_swagger3_helpers.py"),
            ),
            baseline_passes=164,
        ),
        _suite(
            "opentelemetry-aiohttp-server",
            "opentelemetry-instrumentation-aiohttp-server==0.66b1",
            "75479a16b490be4a8b2ee3afc4bb62199e9e0ba594807be3c560beb938699ce2",
            "opentelemetry_instrumentation_aiohttp_server-0.66b1",
            files=("tests",),
            targets=("tests",),
            ini="asyncio_mode = auto\n",
            filters=("default",),
            baseline_passes=34,
        ),
        _suite(
            "sentry-aiohttp",
            "sentry-sdk==2.75.0",
            "c38ac2d4b2435c11da821e173bb9d9088c98f41ae92f559ce0e424170a8e1a29",
            "sentry_sdk-2.75.0",
            files=(
                "tests/__init__.py",
                "tests/conftest.py",
                "tests/integrations/__init__.py",
                "tests/integrations/utils.py",
                "tests/integrations/aiohttp",
            ),
            targets=("tests/integrations/aiohttp",),
            ini="asyncio_mode = strict\nmarkers =\n    tests_internal_exceptions: internal\n",
            filters=("default",),
            timeout=180.0,
            baseline_passes=150,
        ),
    )
}

#: The plugins the issue names whose registry artifacts ship no tests (see the module docstring).
NO_SHIPPED_TESTS: dict[str, str] = {
    "aiohttp-pydantic==3.0.2": "no sdist at all (3.0.2, 2.6.0, 2.0.0, 1.12.2, 1.0.0 checked with "
    "pip download --no-binary); its wheels carry no tests; 3.0.x also needs Python 3.12",
    "aiohttp-middlewares==3.0.0": "the sdists carry no tests (3.0.0, 2.4.0, 2.0.0, 1.0.0, 0.1.0 "
    "checked), nor does the wheel",
    "aiohttp-ratelimiter==4.1.3": "the sdists carry no tests (4.1.3, 4.1.2, 4.0.0, 3.5.3, 2.0.9, "
    "1.0.6 checked)",
}

#: What the plugins' tests import besides the plugin (versions the suites were released with).
TEST_REQUIREMENTS = (
    "aiohttp-session==2.12.1",  # aiohttp-security's session identity policy
    "pyjwt==2.10.1",  # aiohttp-security's JWT identity policy
    "opentelemetry-test-utils==0.66b1",
    "opentelemetry-sdk",
)


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed:\n{result.stderr[-3000:]}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sdist(suite: Suite) -> Path:
    """The plugin's sdist, downloaded once with pip and checked against its recorded sha256."""
    SDISTS.mkdir(parents=True, exist_ok=True)
    found = [p for p in SDISTS.glob("*.tar.gz") if _sha256(p) == suite.sha256]
    if not found:
        # the sdist of this project only: its build requirements may come as wheels
        name = suite.requirement.partition("==")[0]
        _pip("download", "--no-deps", "--no-binary", name, "-d", str(SDISTS), suite.requirement)
        found = [p for p in SDISTS.glob("*.tar.gz") if _sha256(p) == suite.sha256]
    if not found:
        raise RuntimeError(f"{suite.requirement}: no sdist with sha256 {suite.sha256}")
    return found[0]


def lay_out(suite: Suite) -> Path:
    """The suite's test files, unchanged, in a directory of their own (extracted once; the
    runner's own support files, if any, written afresh every time)."""
    target = WORK / suite.name
    if not (target / ".extracted").exists():
        _extract(suite, target)
        (target / ".extracted").write_text(suite.sha256)
    # ours: always the current version
    for path, ours in suite.support:
        (target / path).write_bytes((HERE / ours).read_bytes())
    filters = "\n    ".join(suite.filters)
    (target / "pytest.ini").write_text(
        f"[pytest]\n{suite.ini}asyncio_default_fixture_loop_scope = function\n"
        f"filterwarnings =\n    {filters}\n"
        # a checkout whose compiled modules are older than their sources runs them from source
        "    ignore:.*was built from another version of:RuntimeWarning\n"
        "    ignore:the compiled build is partial or stale:RuntimeWarning\n"
    )
    return target


def support_digest(suite: Suite) -> str:
    """A hash of the support files the runner writes (the baseline depends on them)."""
    digest = hashlib.sha256()
    for path, ours in suite.support:
        digest.update(path.encode() + b"\0" + (HERE / ours).read_bytes())
    return digest.hexdigest()[:16]


def _extract(suite: Suite, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    prefix = suite.prefix + "/"
    with tarfile.open(sdist(suite)) as archive:
        for member in archive.getmembers():
            rel = member.name[len(prefix) :]
            wanted = any(rel == f or rel.startswith(f + "/") for f in suite.files)
            if member.isfile() and member.name.startswith(prefix) and wanted:
                path = target / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(archive.extractfile(member).read())  # type: ignore[union-attr]


#: The plugins without runnable shipped tests, for ``plugin_scenarios_app.py``.
SCENARIO_REQUIREMENTS = (
    "aiohttp-remotes==1.4.0",
    "aiohttp-ratelimiter==4.1.3",
    "aiohttp-middlewares==3.0.0",
    "aiohttp-swagger3==0.10.0",
)
# Declares Python >= 3.12 (the code runs on 3.11): installed alone, without its dependencies
# (pydantic and jinja2 come from the project's environment), ignoring that declaration.
PYDANTIC_PLUGIN = "aiohttp-pydantic==3.0.2"


def _stamp(requirements: list[str]) -> str:
    return hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:16]


def python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """The plugins' virtual environment (built once per requirement list); its interpreter."""
    plugins = [s.install or str(sdist(s)) for s in PLUGINS.values()]
    names = {s.requirement.partition("==")[0] for s in PLUGINS.values()}
    scenarios = [r for r in SCENARIO_REQUIREMENTS if r.partition("==")[0] not in names]
    requirements = [*plugins, *TEST_REQUIREMENTS, *scenarios, PYDANTIC_PLUGIN]
    stamp = VENV / ".complete"
    if stamp.exists() and stamp.read_text() == _stamp(requirements):
        return python()
    subprocess.run(
        [sys._base_executable, "-m", "venv", "--clear", "--without-pip", str(VENV)],  # type: ignore[attr-defined]
        check=True,
    )
    # this interpreter's packages (aiohttp 3.14.5, pytest, the editable aioweb) behind the venv's
    site = subprocess.run(
        [str(python()), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    purelib = sysconfig.get_paths()["purelib"]
    Path(site, "zz_runner_site.pth").write_text(f"import site; site.addsitedir({purelib!r})\n")
    _pip("--python", str(python()), "install", "-q", *requirements[:-1])
    _pip(
        "--python",
        str(python()),
        "install",
        "-q",
        "--no-deps",
        "--ignore-requires-python",
        requirements[-1],
    )
    if not (SITE_BASELINE / ".complete").exists():
        _pip("install", "--no-deps", "--target", str(SITE_BASELINE), *BASELINE_PACKAGES)
        (SITE_BASELINE / ".complete").write_text("\n".join(BASELINE_PACKAGES))
    stamp.write_text(_stamp(requirements))
    return python()


def no_aioweb_stub() -> Path:
    """An empty ``aioweb`` in front of the real one, for the baseline (as the companions do)."""
    stub = NO_AIOWEB / "aioweb"
    stub.mkdir(parents=True, exist_ok=True)
    (stub / "__init__.py").write_text('"""Not aioweb: the baseline runs without it."""\n')
    (stub / "pytest_plugin.py").write_text('"""Empty: the baseline uses pytest-aiohttp."""\n')
    return NO_AIOWEB


def env_paths(variant: str, here: Path) -> str:
    paths = [str(here)]
    if variant == "aiohttp":
        paths[:0] = [str(SITE_BASELINE), str(no_aioweb_stub())]
    return os.pathsep.join(paths)
