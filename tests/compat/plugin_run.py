"""Running a plugin's own suite on aiohttp (the baseline, cached) and on aioweb (every time).

Both runs use the same unchanged files, laid out once, and the same virtual environment; they differ in two things only:

* ``aiohttp``: pytest-aiohttp serves the fixtures, and an empty ``aioweb`` stands in front of the
  real one, so the baseline cannot touch aioweb;
* ``aioweb``: ``-p plugin_optin`` enables the opt-in first, aioweb's pytest plugin serves the
  fixtures (the pytest-aiohttp replacement).

The per-test outcomes are compared with ``companion_run.compare`` against ``plugin_ledger.toml``
(same format as the companions' ledger).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import signal
import subprocess
import time
import tomllib
from pathlib import Path

import companion_run
import plugin_sources

HERE = Path(__file__).resolve().parent
LEDGER = HERE / "plugin_ledger.toml"
Outcomes = companion_run.Outcomes


def run(suite: plugin_sources.Suite, variant: str) -> tuple[Outcomes, str]:
    """One run of the suite's unchanged files: (outcome by node id, pytest's output)."""
    interpreter = plugin_sources.ensure_venv()
    workdir = plugin_sources.lay_out(suite)
    report = workdir / f"outcomes-{variant}.json"
    report.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COMPANION_"))}
    env.update(COMPANION_REPORT=str(report), PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = plugin_sources.env_paths(variant, HERE)
    command = [str(interpreter), "-m", "pytest", *suite.targets, "-p", "companion_report"]
    if variant == "aioweb":
        command += ["-p", "plugin_optin"]
    command += ["-p", "no:cacheprovider", "-q", "-rfE", "--tb=short", "-o", "addopts="]
    command += ["--continue-on-collection-errors", "-o", f"timeout={int(suite.timeout / 2)}"]
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
        output += f"\n[plugin runner: killed after {suite.timeout:.0f} s]"
    output += f"\n[plugin runner: {variant} run took {time.monotonic() - started:.1f} s]"
    outcomes = json.loads(report.read_text()) if report.exists() else {}
    return outcomes, output


def baseline(suite: plugin_sources.Suite) -> Outcomes:
    """The suite's outcomes on aiohttp, cached per pinned versions, suite settings (warning
    filters, ini...) and runner-written support files (aioweb plays no part)."""
    path = plugin_sources.CACHE / f"baseline-{suite.name}.json"
    versions = [importlib.metadata.version(p) for p in ("aiohttp", "pytest", "pytest-asyncio")]
    key = (
        f"{suite!r} {plugin_sources.support_digest(suite)} "
        f"{plugin_sources.TEST_REQUIREMENTS} {versions}"
    )
    with contextlib.suppress(OSError, ValueError):
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return dict(cached["outcomes"])
    outcomes, output = run(suite, "aiohttp")
    if not any(phases.get("call") == "passed" for phases in outcomes.values()):
        raise RuntimeError(f"{suite.name}: the baseline passed nothing:\n{output[-6000:]}")
    path.write_text(json.dumps({"key": key, "outcomes": outcomes}, indent=1))
    return outcomes


def ledger() -> dict[str, dict[str, dict[str, str]]]:
    """``plugin_ledger.toml`` as {suite: {test id: entry}}; malformed entries raise."""
    data = tomllib.loads(LEDGER.read_text())
    entries: dict[str, dict[str, dict[str, str]]] = {}
    for entry in data.get("difference", []):
        if entry.get("kind") not in companion_run.KINDS or not entry.get("reason"):
            raise ValueError(f"ledger entry needs a kind and a reason: {entry}")
        entries.setdefault(entry["suite"], {})[entry["test"]] = entry
    return entries
