"""aiohttp's plugins as their users use them, on aioweb and on aiohttp, side by side.

aiohttp-pydantic 3.0.2, aiohttp-middlewares 3.0.0 and aiohttp-ratelimiter 4.1.3 ship no tests in
any registry artifact (see ``plugin_sources.NO_SHIPPED_TESTS``): these scenarios stand in for
their suites.  aiohttp-remotes 1.4.0 and aiohttp-swagger3 0.10.0 have scenarios too, beside
their suites in ``test_plugin_suites.py``.  One application per plugin, written against
``aiohttp.web`` as their users write it (``plugin_scenarios_app.py``), runs on aiohttp 3.14.5
and on aioweb through the opt-in, on real sockets; every answer (status, the headers that
matter, body) must be the same.
"""

from __future__ import annotations

import json
import os
import subprocess

import plugin_run
import plugin_sources
import pytest

SCRIPT = plugin_run.HERE / "plugin_scenarios_app.py"


def _answers(variant: str) -> dict[str, object]:
    interpreter = plugin_sources.ensure_venv()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["PYTHONPATH"] = plugin_sources.env_paths(
        "aiohttp" if variant == "aiohttp" else "", SCRIPT.parent
    )
    done = subprocess.run(
        [str(interpreter), "-W", "ignore", str(SCRIPT), variant],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return dict(json.loads(done.stdout))


@pytest.fixture(scope="module")
def both() -> tuple[dict[str, object], dict[str, object]]:
    return _answers("aiohttp"), _answers("aioweb")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("plugin", ["aiohttp-remotes", "aiohttp-ratelimiter", "aiohttp-middlewares", "aiohttp-swagger3", "aiohttp-pydantic"])  # fmt: skip
def test_plugin_answers_as_on_aiohttp(
    plugin: str, both: tuple[dict[str, object], dict[str, object]]
) -> None:
    baseline, aioweb = both
    assert not isinstance(baseline[plugin], str), (
        f"the scenario fails on aiohttp: {baseline[plugin]}"
    )
    assert aioweb[plugin] == baseline[plugin]
