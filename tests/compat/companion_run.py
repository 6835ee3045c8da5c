"""Running a companion suite in a subprocess, the baseline cache, and the ledger comparison.

The baseline (the suite against the real companion on aiohttp) depends only on the pinned sdists
and the installed aiohttp and pytest-asyncio, not on aioweb: it is run once and kept in
``.cache/companions/baseline-<suite>.json`` under a key of those versions.  aioweb's run happens
every time.

The ledger (``companion_ledger.toml``) lists the tests aioweb is expected to fail although the
original passes, each with its kind and reason:

* ``private`` - the test reads or patches the companion's private internals;
* ``deliberate`` - aioweb answers differently on purpose (the reason says why it is better);
* ``pending`` - a known gap, the cause named, to be fixed (the entry goes when it is).

:func:`compare` fails on a test the original passes and aioweb does not (unless listed) and on a
listed test that now passes (so the ledger only ever shrinks to the truth).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import companion_sources as sources

HERE = Path(__file__).resolve().parent
LEDGER = HERE / "companion_ledger.toml"
KINDS = frozenset({"private", "deliberate", "pending"})
# node id -> {phase: outcome} (see companion_report.py)
Outcomes = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Services:
    """Where the suites' backing servers listen (what the subprocesses are told)."""

    redis_url: str
    memcached: str  # host:port
    mongodb_uri: str

    def env(self) -> dict[str, str]:
        host_port = self.mongodb_uri.split("//", 1)[1].split("/", 1)[0]
        host, port = host_port.rsplit(":", 1)
        return {
            "COMPANION_REDIS_URL": self.redis_url,
            "COMPANION_MEMCACHED": self.memcached,
            "DB_IP": host,  # Motor's test environment
            "DB_PORT": port,
        }


@contextlib.contextmanager
def memcached() -> Iterator[str]:
    """A throwaway memcached on loopback (``MEMCACHED_ADDRESS`` points at one of yours)."""
    if address := os.environ.get("MEMCACHED_ADDRESS"):
        yield address
        return
    binary = shutil.which("memcached")
    if binary is None:
        raise RuntimeError("memcached is not installed: run scripts/install-system-deps.sh")
    import services  # tests/services.py: the free-port and wait helpers

    port = services.free_port()
    workdir = Path(tempfile.mkdtemp(prefix="aioweb-memcached-"))
    log = workdir / "log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "64", "-u", "root"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    service = services.Service(f"127.0.0.1:{port}", process, workdir)
    try:
        services._wait_for_port(port, process, log, "memcached")
        yield service.url
    finally:
        service.stop()


def _version_key(suite: sources.Suite) -> str:
    versions = [importlib.metadata.version(p) for p in ("aiohttp", "pytest", "pytest-asyncio")]
    return f"{suite.requirement} {suite.sha256[:12]} aiohttp/pytest/pytest-asyncio {versions}"


def run(suite: sources.Suite, variant: str, services: Services) -> tuple[Outcomes, str]:
    """Run one layout of the suite in a subprocess: (outcome by node id, pytest's output)."""
    with sources.locked(f"{suite.name}-{variant}"):
        return _run(suite, variant, services)


def _run(suite: sources.Suite, variant: str, services: Services) -> tuple[Outcomes, str]:
    conftest = None
    if suite.replaced_conftest:
        conftest = (HERE / "companion_session_conftest.py").read_text()
    workdir = sources.lay_out(suite, variant, conftest)
    report = workdir / "outcomes.json"
    paths = [str(HERE), str(sources.SITE_COMMON)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COMPANION_"))}
    env.update(services.env(), COMPANION_REPORT=str(report), PYTHONDONTWRITEBYTECODE="1")
    if variant == "original":
        # the real companions, and a stub in aioweb's place: aioweb's pytest11 entry point then
        # loads an empty plugin, also in the pytester runs inside pytest-aiohttp's suite
        paths[:0] = [str(sources.SITE_ORIGINAL), str(sources.NO_AIOWEB)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    command = [sys.executable, "-m", "pytest", *suite.targets, "-p", "companion_report"]
    command += ["-p", "no:cacheprovider", "-q", "-rfE", "--tb=native", "-o", "addopts="]
    command += ["--continue-on-collection-errors"]
    command += ["-o", f"timeout={int(suite.timeout / 2)}"]
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=suite.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        output += f"\n[companion runner: killed after {suite.timeout:.0f} s]"
    output += f"\n[companion runner: {variant} run took {time.monotonic() - started:.1f} s]"
    outcomes = json.loads(report.read_text()) if report.exists() else {}
    return outcomes, output


def baseline(suite: sources.Suite, services: Services) -> Outcomes:
    """The original suite's outcomes on the real package, cached per pinned versions."""
    path = sources.CACHE / f"baseline-{suite.name}.json"
    key = _version_key(suite)
    with contextlib.suppress(OSError, ValueError):
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return dict(cached["outcomes"])
    outcomes, output = run(suite, "original", services)
    if not any(phases.get("call") == "passed" for phases in outcomes.values()):
        raise RuntimeError(f"{suite.name}: the original suite passed nothing:\n{output[-6000:]}")
    path.write_text(json.dumps({"key": key, "outcomes": outcomes}, indent=1))
    return outcomes


def ledger() -> dict[str, dict[str, dict[str, str]]]:
    """The ledger as {suite: {test id: entry}}; malformed entries raise."""
    data = tomllib.loads(LEDGER.read_text())
    entries: dict[str, dict[str, dict[str, str]]] = {}
    for entry in data.get("difference", []):
        if entry.get("kind") not in KINDS or not entry.get("reason"):
            raise ValueError(f"ledger entry needs a kind in {sorted(KINDS)} and a reason: {entry}")
        entries.setdefault(entry["suite"], {})[entry["test"]] = entry
    return entries


def passed(phases: dict[str, str]) -> bool:
    """A test passed: its call passed and no phase failed."""
    return phases.get("call") == "passed" and all(o == "passed" for o in phases.values())


def kept(original: dict[str, str], aioweb: dict[str, str] | None) -> bool:
    """aioweb passes every phase of the test that the original passes."""
    if aioweb is None:
        return False
    return all(aioweb.get(p) == "passed" for p, o in original.items() if o == "passed")


@dataclass
class Comparison:
    """What one suite's aioweb run says against its baseline and the ledger."""

    total: int
    original_passed: int  # tests whose call passes on the original
    aioweb_passed: int  # of those, the ones aioweb passes in every phase the original passes
    unexpected: list[str]  # the original passes, aioweb does not, not listed
    stale: list[str]  # listed, but aioweb passes now (or the original does not)

    def problems(self) -> list[str]:
        lines = [f"unexpected failure on aioweb: {t}" for t in self.unexpected]
        return lines + [f"ledger entry no longer needed: {t}" for t in self.stale]


def _module(test: str) -> str:
    return test.split("::", 1)[0]


def compare(original: Outcomes, aioweb: Outcomes, listed: dict[str, dict[str, str]]) -> Comparison:
    """Test by test; a ledger entry names one test, or a test file for all of its tests (a
    module that does not import on aioweb). A file entry is stale once every test of the file
    that the original passes either passes on aioweb or has its own entry."""
    counted = {t for t, phases in original.items() if phases.get("call") == "passed"}
    good = {t for t in counted if kept(original[t], aioweb.get(t))}
    unexpected = sorted(t for t in counted - good if t not in listed and _module(t) not in listed)
    stale = []
    for entry in listed:
        if "::" in entry:
            if entry in good or entry not in counted:
                stale.append(entry)
        elif not any(_module(t) == entry and t not in listed for t in counted - good):
            stale.append(entry)
    return Comparison(
        total=len(set(original) | set(aioweb)),
        original_passed=len(counted),
        aioweb_passed=len(good),
        unexpected=unexpected,
        stale=sorted(stale),
    )
