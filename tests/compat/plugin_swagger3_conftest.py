"""Fixtures for aiohttp-swagger3 0.10.0's own tests (its sdist ships them without a conftest).

Written by the plugin runner as the suite's ``tests/conftest.py`` (see ``plugin_sources``), for
the baseline on aiohttp and the run on aioweb alike.  This file is ours: each fixture is rebuilt
from how the tests call it, as a factory of the plugin's public objects on a fresh
``web.Application``:

* ``swagger_docs(**kw)`` - ``SwaggerDocs(app, **kw)``; the tests serve ``swagger._app``;
* ``swagger_ui_settings`` / ``redoc_ui_settings`` / ``rapidoc_ui_settings`` ``(**kw)`` - the UI
  settings with ``path="/docs"`` unless given (the tests fetch ``/docs/`` and expect two UIs
  left at their default path to clash).

The tests that need the sdist's missing ``tests/testdata/`` (YAML specs and components: the
``swagger_file`` and ``swagger_docs_with_components`` fixtures, ``tests/testdata/`` paths) are
skipped, on both servers, with that reason: inventing that data would test our guess of it.
"""

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp_swagger3 import RapiDocUiSettings, ReDocUiSettings, SwaggerDocs, SwaggerUiSettings

NEEDS_TESTDATA = frozenset({"swagger_file", "swagger_docs_with_components"})
MISSING = "needs tests/testdata/, which aiohttp-swagger3 0.10.0's sdist does not ship"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        function = getattr(item, "function", None)
        source = inspect.getsource(function) if function is not None else ""
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & NEEDS_TESTDATA or "tests/testdata/" in source:
            item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.fixture
def swagger_docs() -> Callable[..., SwaggerDocs]:
    def make(**kwargs: Any) -> SwaggerDocs:
        return SwaggerDocs(web.Application(), **kwargs)

    return make


def _settings(kind: type) -> Callable[..., Any]:
    def make(**kwargs: Any) -> Any:
        return kind(**{"path": "/docs", **kwargs})

    return make


@pytest.fixture
def swagger_ui_settings() -> Callable[..., SwaggerUiSettings]:
    return _settings(SwaggerUiSettings)


@pytest.fixture
def redoc_ui_settings() -> Callable[..., ReDocUiSettings]:
    return _settings(ReDocUiSettings)


@pytest.fixture
def rapidoc_ui_settings() -> Callable[..., RapiDocUiSettings]:
    return _settings(RapiDocUiSettings)
