"""``json_response``'s default serialiser must give exactly ``json.dumps``'s output and errors."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioweb.framework.json_response import json_dumps

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(
            st.text(max_size=8) | st.integers() | st.booleans() | st.none(), inner, max_size=5
        )
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(JSON)
def test_same_text_as_json_dumps(value: object) -> None:
    assert json_dumps(value) == json.dumps(value)


@pytest.mark.parametrize(
    "value", ["plain", "é\u2028\x00", 1.5, math.nan, -math.inf, 10**30, {}, []]
)
def test_same_text_for_scalars_and_empties(value: object) -> None:
    assert json_dumps(value) == json.dumps(value)


def test_same_errors() -> None:
    circular: list[object] = []
    circular.append(circular)
    for bad in (circular, {"a": object()}, {(1, 2): 3}):
        with pytest.raises(Exception) as ours:
            json_dumps(bad)
        with pytest.raises(Exception) as theirs:
            json.dumps(bad)
        assert type(ours.value) is type(theirs.value)
        assert str(ours.value) == str(theirs.value)
    # a failure leaves nothing behind: the next call is not taken for a circular one
    shared = [1]
    assert json_dumps([shared, shared]) == "[[1], [1]]"
