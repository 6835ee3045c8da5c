"""aiohttp 3.14.5's own server tests, imports rewritten to aioweb, against the ledger (issue 13).

The run itself is scripts/aiohttp_suite.py (the sdist and the suite's venv are cached under
.cache/, so only the first run downloads).  This test fails on any test that fails on aioweb and
is not in tests/compat/aiohttp_ledger.toml, and on any ledger entry that no longer fails: the
ledger only ever shrinks to the truth.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _runner():  # type: ignore[no-untyped-def]
    path = ROOT / "scripts" / "aiohttp_suite.py"
    spec = importlib.util.spec_from_file_location("aiohttp_suite", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("aiohttp_suite", module)
    spec.loader.exec_module(module)
    return module


suite = _runner()


def test_ledger_is_well_formed() -> None:
    """Every entry has a known kind and a cause, and no test is both excluded and expected."""
    excluded, expected = suite.read_ledger()
    assert all(reason.strip() for reason in excluded.values())
    for test_id, entry in expected.items():
        assert entry["kind"] in {"pending", "deliberate", "environment"}, test_id
        assert entry["cause"].strip(), test_id
    assert not set(excluded) & set(expected)


def test_rewrite_keeps_the_client_and_line_numbers() -> None:
    """Server names come from aioweb, the client's from aiohttp, and no line moves."""
    source = (
        "import aiohttp\n"
        "from aiohttp import (\n    ClientSession,\n    web,\n)\n"
        "from aiohttp.web_request import _PRIVATE, FileField\n"
        "x = aiohttp.web.Response\n"
        "y = aiohttp.ClientTimeout\n"
    )
    out = suite.rewrite(source)
    assert out.count("\n") == source.count("\n")
    lines = out.splitlines()
    assert lines[0] == "import aiohttp; import aioweb.web"
    assert lines[1] == "from aioweb import web; from aiohttp import ClientSession"
    assert lines[5] == (
        "from aioweb.web_request import FileField; from aiohttp.web_request import _PRIVATE"
    )
    assert lines[6] == "x = aioweb.web.Response"
    assert lines[7] == "y = aiohttp.ClientTimeout"


@pytest.mark.timeout(1800)
def test_aiohttp_server_suite_matches_the_ledger() -> None:
    """The measure: aiohttp's server tests on aioweb fail only where the ledger says."""
    result = suite.run("aioweb", suite.MODULES, workers=2)
    unexpected, stale = suite.compare(result, suite.read_ledger()[1])
    lines = [f"{result[t][0]}: {t}: {result[t][1][:300]}" for t in unexpected]
    lines += [f"ledger entry no longer fails (remove it): {t}" for t in stale]
    assert not lines, f"{len(unexpected)} unexpected, {len(stale)} stale\n" + "\n".join(lines)
