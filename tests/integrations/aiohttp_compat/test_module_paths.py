"""aiohttp's public module paths under aioweb: ``aioweb.web_log``, ``aioweb.hdrs``... (issue 13).

Each alias must expose every public name of aiohttp's module of the same name, or list it in the
table's ``MISSING`` with a reason; the objects must be aioweb's (not aiohttp's), except the
client-side names the table says come from aiohttp.  The aliases are built by a finder, so the
tests also check that a real module at such a path wins and that ``import aioweb`` stays cheap.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

from aioweb.integrations.aiohttp_compat import finder, modules, table


def _aiohttp_public(name: str) -> set[str]:
    """aiohttp's public names of ``aiohttp.<name>``: its ``__all__``, else what it defines."""
    module = importlib.import_module(f"aiohttp.{name}")
    if hasattr(module, "__all__"):
        return set(module.__all__)
    names = set()
    for key, value in vars(module).items():
        if key.startswith("_") or inspect.ismodule(value) or key == "TYPE_CHECKING":
            continue
        defined_here = getattr(value, "__module__", None) in (module.__name__, None)
        if defined_here or name in ("log", "typedefs", "hdrs"):
            names.add(key)
    return names - {"annotations", "Final", "istr"}  # typing helpers aiohttp imported


@pytest.mark.parametrize("name", sorted(table.TABLE))
def test_alias_covers_aiohttp_module(name: str) -> None:
    provided = set(modules.entry(name))
    missing = set(table.MISSING.get(name, {}))
    wanted = _aiohttp_public(name)
    if name == "typedefs":  # aiohttp re-exports typing helpers there; those are not its API
        wanted -= {"Any", "Awaitable", "Callable", "Iterable", "Mapping", "Protocol", "Union"}
    assert not (wanted - provided - missing), f"aiohttp.{name} names neither served nor listed"
    assert not (provided & missing), "a name both served and listed as missing"


@pytest.mark.parametrize("name", sorted(table.TABLE))
def test_alias_names_resolve(name: str) -> None:
    module = importlib.import_module(f"aioweb.{name}")
    for attr, ref in modules.entry(name).items():
        value = getattr(module, attr)
        home = getattr(value, "__module__", "") or ""
        if ref.startswith("aiohttp:"):
            assert home.startswith("aiohttp"), (attr, home)
        elif isinstance(value, type):
            assert not home.startswith("aiohttp"), f"aioweb.{name}.{attr} is aiohttp's"


def test_finder_knows_every_alias_without_a_file() -> None:
    real = {"multipart"}  # aioweb/multipart.py is a real module: the finder must not serve it
    assert set(table.TABLE) - real == finder.ALIASES


def test_examples_from_the_issue() -> None:
    from aioweb.helpers import ETag
    from aioweb.typedefs import Handler
    from aioweb.web_log import AccessLogger

    from aioweb import web

    assert AccessLogger is web.AccessLogger
    assert ETag("x", is_weak=True).is_weak
    assert Handler is not None


def test_abstract_bases_hold_for_aioweb_objects() -> None:
    from aioweb.abc import AbstractMatchInfo, AbstractRouter

    from aioweb import web

    app = web.Application()
    assert isinstance(app.router, AbstractRouter)
    assert issubclass(web.UrlMappingMatchInfo, AbstractMatchInfo)


def test_missing_name_says_why() -> None:
    import aioweb.streams

    with pytest.raises(AttributeError, match="not in aioweb yet"):
        aioweb.streams.DataQueue  # noqa: B018


def test_aiohttp_http_exceptions_have_aiohttps_constructors() -> None:
    """Server code raises these from handlers; they carry aiohttp's codes and texts and are
    aioweb wire errors, so the server answers with their status."""
    from aioweb.http_exceptions import BadHttpMethod, HttpProcessingError, LineTooLong

    from aioweb.http.errors import HttpProtocolError

    method = BadHttpMethod("\x16\x03", "error")
    assert isinstance(method, HttpProtocolError) and method.status == method.code == 400
    assert method.message == "error"
    too_long = LineTooLong("header", 10, 20)
    assert str(too_long) == "400, message:\n  Got more than 10 bytes when reading: 'header'."
    assert HttpProcessingError(code=503, message="busy").status == 503


def test_real_module_wins_and_import_stays_cheap() -> None:
    code = (
        "import sys, aioweb; loaded = sorted(m for m in sys.modules if m.startswith('aioweb'));"
        "print(loaded); import aioweb.multipart as m; print(m.__file__)"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    loaded = ast.literal_eval(out[0])
    assert "aioweb.integrations.aiohttp_compat.table" not in loaded
    assert not any(m.startswith("aioweb.framework") for m in loaded)
    assert out[1].endswith("aioweb/multipart.py")
