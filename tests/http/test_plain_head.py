"""``writer.plain_head``: the head of the common short response, reused while its ``Date`` is
current (the last head by the identity of its arguments, then a table by their values).  Every
reuse must give exactly the head those arguments describe."""

from __future__ import annotations

import pytest

from aioweb.http.writer import plain_head, serialize_head, status_line

DATE = "Thu, 03 Dec 2026 20:00:00 GMT"
LATER = "Thu, 03 Dec 2026 20:00:01 GMT"
TYPE = "text/plain; charset=utf-8"


def _general(
    status: int, content_type: str | None, length: int, server: str, keep_alive: bool, date: str
) -> bytes:
    """The same head from the general serializer, fields in the general path's order."""
    fields = [] if content_type is None else [("Content-Type", content_type)]
    fields.append(("Content-Length", str(length)))
    if content_type is None and length:
        fields.append(("Content-Type", "application/octet-stream"))
    fields += [("Date", date), ("Server", server)]
    if not keep_alive:
        fields.append(("Connection", "close"))
    return serialize_head(status_line("1.1", status), fields)


def test_alternating_arguments_each_get_their_own_head() -> None:
    calls = [
        (200, TYPE, 13, "srv", True, DATE),
        (200, TYPE, 14, "srv", True, DATE),
        (200, "application/json; charset=utf-8", 13, "srv", True, DATE),
        (200, TYPE, 13, "srv", False, DATE),
        (404, TYPE, 13, "srv", True, DATE),
        (200, None, 13, "srv", True, DATE),
        (200, None, 0, "srv", True, DATE),
        (200, TYPE, 13, "other", True, DATE),
        (200, TYPE, 13, "srv", True, LATER),
    ]
    for _ in range(2):  # the second round meets every head again, cached
        for status, ctype, length, server, keep_alive, date in calls:
            head = plain_head(status, None, ctype, length, server, keep_alive, date)
            assert head == _general(status, ctype, length, server, keep_alive, date)
            again = plain_head(status, None, ctype, length, server, keep_alive, date)
            assert again == head


def test_equal_arguments_that_are_other_objects_give_the_same_head() -> None:
    first = plain_head(200, None, TYPE, 5, "srv", True, DATE)
    rebuilt = "".join(["text/plain; ", "charset=utf-8"])  # equal, not the same object
    assert plain_head(200, None, rebuilt, 5, "srv", True, DATE) == first
    assert plain_head(200, None, TYPE, 5, "s" + "rv", True, DATE) == first


def test_a_reason_phrase_of_its_own() -> None:
    head = plain_head(299, "Fine Indeed", TYPE, 1, "srv", True, DATE)
    assert head.startswith(b"HTTP/1.1 299 Fine Indeed\r\n")
    assert plain_head(299, None, TYPE, 1, "srv", True, DATE).startswith(b"HTTP/1.1 299 \r\n")


def test_newline_refused_right_after_a_reused_head() -> None:
    plain_head(200, None, TYPE, 3, "srv", True, DATE)
    plain_head(200, None, TYPE, 3, "srv", True, DATE)
    with pytest.raises(ValueError):
        plain_head(200, None, TYPE + "\r\nX-Injected: 1", 3, "srv", True, DATE)
    with pytest.raises(ValueError):
        plain_head(200, None, TYPE, 3, "srv\nX: 1", True, DATE)
