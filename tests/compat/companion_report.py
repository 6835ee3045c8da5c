"""A pytest plugin for the companion-suite runs: every test's outcome, by node id, as JSON.

Loaded in the suite's subprocess with ``-p companion_report``; ``COMPANION_REPORT`` names the
file.  Each test gets the outcome of each phase that ran (``setup``, ``call``, ``teardown``:
``passed``, ``failed``, ``skipped``, ``xfailed`` or ``xpassed``), so that the comparison can ask
aioweb to pass exactly the phases the original passes (Motor's tests pass their calls but error in
teardown on aiohttp 3.14).  A module that does not import is recorded under its own node id with
a failed ``collect`` phase; its tests then count as missing.
"""

from __future__ import annotations

import json
import os

import pytest

_outcomes: dict[str, dict[str, str]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    outcome = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "xpassed" if report.passed else "xfailed"
    _outcomes.setdefault(report.nodeid, {})[report.when] = outcome


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        _outcomes.setdefault(report.nodeid or "<collection>", {})["collect"] = "failed"


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("COMPANION_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump(dict(sorted(_outcomes.items())), out, indent=1)
