"""Entity tags (RFC 9110 §8.8.3): the one type and the one parser of the wire layer.

Requests (``request.if_match``), responses (``response.etag``), the conditional-request rules
and both file servers share this module, so a tag one of them accepts is a tag all of them
accept. Before, three hand parsers disagreed on characters and on ``W/`` without quotes.

Public API::

    ETag(value, is_weak=False)         aiohttp's NamedTuple shape; ``weak`` is an alias of
                                       ``is_weak`` (also as a keyword); str(tag) is its header
                                       form ('W/"x"'); built leniently, as aiohttp's is:
                                       the value is checked where a tag is written
                                       (``format_etag``, ``response.etag = ...``)
    ANY                                the ``*`` of If-Match / If-None-Match
    parse_etag(text) -> ETag | None    one entity tag (ETag, If-Range), strictly
    parse_etag_list(text) -> list[ETag] | ANY | None
                                       strict: None when any member is malformed (what the
                                       conditional rules want: a malformed field is ignored)
    parse_etags(text) -> tuple[ETag, ...] | None
                                       lenient (aiohttp's request properties): malformed members
                                       are skipped; ``*`` is ``(ETag('*'),)``
    format_etag(tag) -> str            the header form, validating a tag built by ``_make``
    strong_match(a, b) / weak_match(a, b)
    make_etag(*parts: int, weak=False) -> ETag
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

__all__ = [
    "ANY",
    "ETag",
    "format_etag",
    "make_etag",
    "parse_etag",
    "parse_etag_list",
    "parse_etags",
    "strong_match",
    "weak_match",
]

# etagc = "!" / %x23-7E / obs-text (%x80-FF); obs-text is taken as any non-ASCII character.
_ETAGC = re.compile(r"[\x21\x23-\x7e\x80-\U0010ffff]*")
_ETAG_RE = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\U0010ffff]*)"')
# One list member: an entity tag, surrounded by optional whitespace, followed by a comma or end.
_LIST_ITEM = re.compile(r'[ \t]*(?:(W/)?"([\x21\x23-\x7e\x80-\U0010ffff]*)")?[ \t]*(,|\Z)')


class _Any:
    """The ``*`` of If-Match / If-None-Match: "any current representation"."""

    _instance: _Any | None = None

    def __new__(cls) -> _Any:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ANY"


ANY: Final = _Any()


class _ETagFields(NamedTuple):
    value: str
    is_weak: bool = False


class ETag(_ETagFields):
    """An entity tag: its opaque value (the text between the quotes) and whether it is weak.

    A NamedTuple, as aiohttp's ``web.ETag`` is, so ``ETag(value=..., is_weak=...)``,
    unpacking and equality with a plain tuple keep working. ``weak`` is accepted as a keyword
    and read as a property for the conditional-request code that used that name.
    """

    __slots__ = ()

    def __new__(cls, value: str, is_weak: bool = False, *, weak: bool | None = None) -> ETag:
        # No check of ``value`` here: aiohttp's ETag is a plain record (code builds
        # ``ETag(value='"invalid"')`` to test the setter), and a tag only matters on the wire,
        # where format_etag refuses what could break the header it is written into.
        if weak is not None:
            is_weak = weak
        return tuple.__new__(cls, (value, bool(is_weak)))

    @property
    def weak(self) -> bool:
        return self.is_weak

    def __str__(self) -> str:
        return f'W/"{self.value}"' if self.is_weak else f'"{self.value}"'


def _tag(value: str, weak: bool) -> ETag:
    """A tag from a value the parser's regex already checked (no second validation)."""
    return tuple.__new__(ETag, (value, weak))


def parse_etag(text: str) -> ETag | None:
    """Parse one entity tag (as found in an ETag or If-Range header); None if malformed."""
    m = _ETAG_RE.fullmatch(text.strip(" \t"))
    if m is None:
        return None
    return _tag(m.group(2), m.group(1) is not None)


def _members(text: str, lenient: bool) -> list[ETag] | None:
    """The tags of a comma list (RFC 9110 §5.6.1: empty members are skipped).

    Strict: None at the first malformed member. Lenient: a malformed member is skipped up to
    the next comma, and the rest of the list still counts.
    """
    tags: list[ETag] = []
    pos = 0
    end = len(text)
    while pos < end:
        m = _LIST_ITEM.match(text, pos)
        if m is None or m.end() == pos:
            if not lenient:
                return None
            comma = text.find(",", pos)
            pos = end if comma < 0 else comma + 1
            continue
        if m.group(2) is not None:
            tags.append(_tag(m.group(2), m.group(1) is not None))
        pos = m.end()
    return tags


def parse_etag_list(text: str) -> list[ETag] | _Any | None:
    """Parse an If-Match / If-None-Match value strictly: ``*`` or a comma list of tags.

    A list with no tag at all, or with a malformed member, is None; callers then treat the
    header as absent, which is what RFC 9110 §13.1 implies for a field that does not parse.
    """
    stripped = text.strip(" \t")
    if stripped == "*":
        return ANY
    return _members(stripped, lenient=False) or None


def parse_etags(text: str | None) -> tuple[ETag, ...] | None:
    """aiohttp's ``request.if_match`` / ``if_none_match``: ``*`` is ``(ETag('*'),)``, malformed
    members are skipped (the same tokenizer as :func:`parse_etag_list`, lenient policy)."""
    if text is None:
        return None
    stripped = text.strip(" \t")
    if stripped == "*":
        return (_tag("*", False),)
    return tuple(_members(stripped, lenient=True) or ())


def format_etag(tag: ETag) -> str:
    """The header form of ``tag``; re-checks the value (``_make``/``_replace`` skip __new__)."""
    if not _ETAGC.fullmatch(tag.value):
        raise ValueError(f"invalid entity-tag characters: {tag.value!r}")
    return str(tag)


def strong_match(a: ETag, b: ETag) -> bool:
    """Strong comparison (RFC 9110 §8.8.3.2): both strong and character-identical."""
    return not a.is_weak and not b.is_weak and a.value == b.value


def weak_match(a: ETag, b: ETag) -> bool:
    """Weak comparison: the opaque values are identical, whatever the W/ flags."""
    return a.value == b.value


def make_etag(*parts: int, weak: bool = False) -> ETag:
    """An entity tag from integers (e.g. ``st_mtime_ns`` and ``st_size``), as lower-case hex.

    A strong tag is right for a file served byte-for-byte: any change of content changes its
    mtime or size (or both), which is the same assumption nginx and aiohttp make.
    """
    return _tag("-".join(format(p, "x") for p in parts), weak)
