"""The historical public import paths (issue 12, item 8) still give the same objects as the
modules that moved into the layer packages."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import aioweb

#: public path -> the real module behind it
PATHS = {
    "aioweb.gridfs": ("aioweb.integrations.gridfs", "pymongo"),
    "aioweb.session": ("aioweb.integrations.session", None),
    "aioweb.session.cookie_storage": ("aioweb.integrations.session.cookie_storage", "cryptography"),
    "aioweb.session.redis_storage": ("aioweb.integrations.session.redis_storage", "redis"),
    "aioweb.jinja2": ("aioweb.integrations.jinja2", "jinja2"),
    "aioweb.sse": ("aioweb.integrations.sse", None),
    "aioweb.proxy": ("aioweb.integrations.proxy", None),
    "aioweb.debug": ("aioweb.framework.debug", None),
    "aioweb.multipart": ("aioweb.framework.multipart", None),
    "aioweb.test_utils": ("aioweb.tooling.test_utils", None),
    "aioweb.worker": ("aioweb.tooling.worker", "gunicorn"),
    "aioweb.websocket_client": ("aioweb.tooling.websocket_client", None),
}
#: public path -> {name: the module it comes from} for names not in the real module's __all__
#: (read_form is built on the reader, in its own module: the reader cannot re-export it
#: without an import cycle)
EXTRA = {"aioweb.multipart": {"read_form": "aioweb.framework.multipart_form"}}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_public_path_reexports_the_real_module(path: str) -> None:
    real_name, dependency = PATHS[path]
    if dependency:
        pytest.importorskip(dependency)
    public = importlib.import_module(path)
    real = importlib.import_module(real_name)
    extra = EXTRA.get(path, {})
    assert sorted(public.__all__) == sorted([*real.__all__, *extra])
    for name in real.__all__:
        assert getattr(public, name) is getattr(real, name), name
    for name, module in extra.items():
        assert getattr(public, name) is getattr(importlib.import_module(module), name), name


def test_gunicorn_worker_class_paths() -> None:
    pytest.importorskip("gunicorn")
    from aioweb.tooling.worker import GunicornUVLoopWebWorker, GunicornWebWorker

    assert aioweb.GunicornWebWorker is GunicornWebWorker
    assert aioweb.GunicornUVLoopWebWorker is GunicornUVLoopWebWorker


@pytest.mark.parametrize("module", ["aioweb", "aioweb.web"])
def test_python_dash_m_runs_the_cli(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()
