"""aiohttp's plugins' own test suites, unchanged, on aioweb through the opt-in (issue 14).

For aiohttp-cors 0.8.1, aiohttp-security 0.5.0, aiojobs 1.4.0 (``aiojobs.aiohttp``),
aiohttp-remotes 1.4.0 (1.3.0's tests), aiohttp-swagger3 0.10.0 (with the runner's conftest),
opentelemetry-instrumentation-aiohttp-server 0.66b1 and sentry-sdk 2.75.0's
``AioHttpIntegration``: the suite runs as shipped on aiohttp 3.14.5 (cached: the baseline) and on
aioweb with :func:`aioweb.integrations.aiohttp_compat.enable` applied first.  Every test the
baseline passes must pass on aioweb, except those listed in ``plugin_ledger.toml``.  See
``plugin_sources.py`` for what is fetched, and for the plugins whose artifacts ship no tests.
"""

from __future__ import annotations

import companion_run
import plugin_run
import plugin_sources
import pytest


@pytest.mark.timeout(900)  # a cold cache builds the venv (a few dozen wheels) and the baselines
@pytest.mark.parametrize("name", sorted(plugin_sources.PLUGINS))
def test_plugin_suite_on_aioweb(name: str) -> None:
    suite = plugin_sources.PLUGINS[name]
    original = plugin_run.baseline(suite)
    aioweb, output = plugin_run.run(suite, "aioweb")
    result = companion_run.compare(original, aioweb, plugin_run.ledger().get(name, {}))
    print(
        f"{name}: {result.total} tests, {result.original_passed} pass on aiohttp, "
        f"{result.aioweb_passed} of those on aioweb"
    )
    assert result.original_passed >= suite.baseline_passes, (
        f"{name}: {result.original_passed} pass on aiohttp, fewer than the "
        f"{suite.baseline_passes} of the pinned versions: the layout or the runner's support "
        "files broke (the baseline is recorded again once they change)"
    )
    assert not result.problems(), "\n".join(result.problems()) + "\n\n" + output[-12000:]


def test_ledger_names_known_suites() -> None:
    assert set(plugin_run.ledger()) <= set(plugin_sources.PLUGINS)
