"""The companions' own test suites, imports rewritten to aioweb, against their baseline (issue 13).

For each of aiohttp-jinja2 1.6, aiohttp-session 2.12.1, aiohttp-sse 3.0, pytest-aiohttp 1.1.0
and Motor 3.7.1's ``AIOHTTPGridFS`` tests: the suite runs once as shipped against the real package
on aiohttp (cached: the baseline) and once with its imports pointed at aioweb's built-in
equivalent.  Every test the original passes must pass on aioweb, except those listed in
``companion_ledger.toml``; a listed test that passes again fails the run until its entry goes.
Real ``redis-server``, ``memcached`` and FerretDB (or ``REDIS_URL``, ``MEMCACHED_ADDRESS``,
``MONGODB_URI``) serve the storages and GridFS.  See ``companion_sources.py`` for what is fetched
and what the rewrite changes.
"""

from __future__ import annotations

from collections.abc import Iterator

import companion_run
import companion_sources
import pytest


@pytest.fixture(scope="module")
def companion_services(redis_url: str, mongodb_uri: str) -> Iterator[companion_run.Services]:
    with companion_run.memcached() as address:
        yield companion_run.Services(redis_url, address, mongodb_uri)


@pytest.mark.timeout(600)  # a cold cache downloads five sdists and runs the baselines too
@pytest.mark.parametrize("name", sorted(companion_sources.SUITES))
def test_suite_on_aioweb(name: str, companion_services: companion_run.Services) -> None:
    suite = companion_sources.SUITES[name]
    companion_sources.ensure_sites()
    original = companion_run.baseline(suite, companion_services)
    aioweb, output = companion_run.run(suite, "aioweb", companion_services)
    result = companion_run.compare(original, aioweb, companion_run.ledger().get(name, {}))
    print(
        f"{name}: {result.total} tests, {result.original_passed} pass on the original, "
        f"{result.aioweb_passed} of those on aioweb"
    )
    assert not result.problems(), "\n".join(result.problems()) + "\n\n" + output[-12000:]


def test_ledger_names_known_suites_and_kinds() -> None:
    entries = companion_run.ledger()
    assert set(entries) <= set(companion_sources.SUITES)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("from aiohttp import web", "from aioweb import web"),
        ("import aiohttp", "import aiohttp"),
        ("from aiohttp import web, ClientSession", "from aioweb import web; from aiohttp import ClientSession"),
        ("from aiohttp.test_utils import TestClient", "from aioweb.test_utils import TestClient"),
        ("from aiohttp.web import Application", "from aioweb.web import Application"),
        ("import aiohttp_jinja2", "import aioweb.jinja2 as aiohttp_jinja2"),
        ("from aiohttp_session import (", "from aioweb.session import ("),
        ("from aiohttp_session.nacl_storage import X", "from aioweb.session.nacl_storage import X"),
        ("    from aiohttp_sse import sse_response", "    from aioweb.sse import sse_response"),
        ("from pytest_aiohttp.plugin import LEGACY_MODE", "from aioweb.pytest_plugin import LEGACY_MODE"),
        ("from motor.aiohttp import AIOHTTPGridFS", "from aioweb.gridfs import AIOHTTPGridFS"),
        ("from motor.motor_gridfs import _hash_gridout", "from motor.motor_gridfs import _hash_gridout"),
        ("from aiohttp import ClientSession", "from aiohttp import ClientSession"),
    ],
)  # fmt: skip
def test_rewrite_changes_only_server_side_imports(line: str, expected: str) -> None:
    assert companion_sources.rewrite_imports(line) == expected


def test_rewrite_dotted_import_and_its_uses_keep_line_numbers() -> None:
    source = (
        "import aiohttp.web\n\napp = aiohttp.web.Application()\nsession = aiohttp.ClientSession()"
    )
    rewritten = companion_sources.rewrite_imports(source)
    assert rewritten.splitlines() == [
        "import aiohttp; import aioweb.web",
        "",
        "app = aioweb.web.Application()",
        "session = aiohttp.ClientSession()",
    ]
