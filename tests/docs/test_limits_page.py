"""docs/limits.md names every server setting, with the default the code really has.

The defaults live in one place (``aioweb/server/settings.py``, the parser's ``ParserLimits``,
``aioweb/http/websocket/options.py``); this test reads them there and finds each one's row on
the page (``| `name` | default | ...``), so a new setting or a changed default that the page
does not follow fails here rather than misleading a reader.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from aioweb.http.parser import ParserLimits
from aioweb.http.websocket import options as ws_options
from aioweb.server import settings

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "limits.md").read_text()
UNITS = {"bytes": 1, "KiB": 1024, "MiB": 1024**2, "s": 1, "fields": 1, "requests": 1}


def _parse(cell: str) -> object:
    """``8190 bytes`` -> 8190, ``64 KiB`` -> 65536, ``75 s`` -> 75, ```False``` -> False."""
    cell = cell.strip().strip("`")
    if cell in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[cell]
    match = re.fullmatch(r"([\d.]+)\s*([A-Za-z/]*)(?:\s.*)?", cell)
    assert match, f"cannot read the default {cell!r}"
    number, unit = float(match.group(1)), match.group(2).split("/")[0] or "bytes"
    return number * UNITS[unit]


def _documented(name: str) -> object:
    row = re.search(rf"^\| `{re.escape(name)}`[^|]*\| ([^|]+) \|", PAGE, re.M)
    assert row, f"docs/limits.md has no row for `{name}`"
    return _parse(row.group(1))


def _settings() -> list[tuple[str, object]]:
    fields = [
        (f.name, getattr(settings.DEFAULTS, f.name))
        for f in dataclasses.fields(settings.ServerSettings)
        if f.name != "limits"
    ]
    fields += [(f.name, getattr(ParserLimits(), f.name)) for f in dataclasses.fields(ParserLimits)]
    fields += [
        ("shutdown_timeout", settings.DEFAULT_SHUTDOWN_TIMEOUT),
        ("backlog", settings.DEFAULT_BACKLOG),
        ("max_msg_size", ws_options.DEFAULT_MAX_MSG_SIZE),
        ("timeout", ws_options.DEFAULT_TIMEOUT),
        ("writer_limit", ws_options.DEFAULT_WRITER_LIMIT),
    ]
    return fields


@pytest.mark.parametrize(("name", "default"), _settings(), ids=lambda v: str(v))
def test_setting_is_documented_with_its_default(name: str, default: object) -> None:
    assert _documented(name) == default
