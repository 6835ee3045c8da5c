"""The one 413 rule: the wire text (``describe_too_large``), the wire ``PayloadTooLarge.for_limit``
and the framework's ``HTTPRequestEntityTooLarge.for_limit``, the only constructor callers use.

Break-on-purpose: a caller building ``HTTPRequestEntityTooLarge(max_size=..., ...)`` itself
(request, multipart, GridFS uploads did) fails ``test_no_caller_builds_its_own``; a 413 text
of its own fails the text tests.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import aioweb
from aioweb.framework import exceptions
from aioweb.framework.exceptions import HTTPRequestEntityTooLarge
from aioweb.framework.multipart import PayloadTooLarge as FormTooLarge
from aioweb.http.errors import PayloadTooLarge, describe_too_large


def test_wire_text_and_constructor() -> None:
    assert (
        describe_too_large(10, 11) == "Maximum request body size 10 exceeded, actual body size 11"
    )
    assert describe_too_large(10) == "Maximum request body size 10 exceeded"
    exc = PayloadTooLarge.for_limit(10, 12)
    assert (exc.status, exc.limit, exc.actual, exc.message) == (
        413,
        10,
        12,
        describe_too_large(10, 12),
    )
    assert PayloadTooLarge("no body can be this long").limit is None


@pytest.mark.parametrize("actual", [None, 17])
def test_framework_texts_are_the_wire_text(actual: int | None) -> None:
    assert HTTPRequestEntityTooLarge.for_limit(16, actual).text == describe_too_large(16, actual)
    assert FormTooLarge(16, actual).text == describe_too_large(16, actual)
    assert FormTooLarge(16, actual).status == 413


def test_request_goes_through_for_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from aioweb.test_utils import make_mocked_request

    monkeypatch.setattr(exceptions, "describe_too_large", lambda limit, actual=None: "ONE RULE")
    req = make_mocked_request("POST", "/", client_max_size=8)
    assert req._too_large(9).text == "ONE RULE"


def test_no_caller_builds_its_own() -> None:
    root = Path(aioweb.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "exceptions.py" and path.parent.name == "framework":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "HTTPRequestEntityTooLarge"
            ):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []
