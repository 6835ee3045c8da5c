"""The Session object and the cookie key handling, without a server."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from aioweb.integrations.session import Session
from aioweb.integrations.session.cookie_storage import _make_fernet, derive_fernet_key


def test_new_session_is_new_empty_unchanged() -> None:
    s = Session(None, data=None, new=True)
    assert s.new and s.empty and not s._changed
    assert s.identity is None
    assert abs(s.created - time.time()) < 2


def test_loaded_session_keeps_created_and_data() -> None:
    created = int(time.time()) - 100
    s = Session("k", data={"created": created, "session": {"a": 1}}, new=False, max_age=3600)
    assert not s.new
    assert s.identity == "k"
    assert s.created == created
    assert dict(s) == {"a": 1}
    assert not s._changed


def test_mutations_mark_changed() -> None:
    s = Session(None, data={"created": 1, "session": {"a": 1}}, new=False)
    s["b"] = 2
    assert s._changed
    s2 = Session(None, data={"created": 1, "session": {"a": 1}}, new=False)
    del s2["a"]
    assert s2._changed and s2.empty
    s3 = Session(None, data={"created": 1, "session": {"a": [1]}}, new=False)
    s3["a"].append(2)  # in-place: invisible until changed() is called
    assert not s3._changed
    s3.changed()
    assert s3._changed


def test_invalidate_clears() -> None:
    s = Session(None, data={"created": 1, "session": {"user": "x"}}, new=False)
    s.invalidate()
    assert s.empty and s._changed


def test_expired_data_is_dropped() -> None:
    old = int(time.time()) - 1000
    s = Session("k", data={"created": old, "session": {"user": "x"}}, new=False, max_age=10)
    assert s.empty
    assert s.new
    assert s.identity is None


def test_garbage_shapes_are_ignored() -> None:
    s = Session(None, data={"created": "yesterday", "session": ["not", "a", "dict"]}, new=False)
    assert s.empty
    s = Session(None, data={"created": True, "session": {"a": 1}}, new=False)
    assert dict(s) == {"a": 1}


def test_max_age_setter_validates() -> None:
    s = Session(None, data=None, new=True)
    s.max_age = 60
    assert s.max_age == 60 and s._changed
    with pytest.raises(TypeError):
        s.max_age = "60"  # type: ignore[assignment]


def test_set_new_identity_only_for_new() -> None:
    s = Session("k", data={"created": 1, "session": {"a": 1}}, new=False)
    with pytest.raises(RuntimeError):
        s.set_new_identity("other")


def test_sixteen_byte_key_is_derived() -> None:
    f = _make_fernet(b"Sixteen byte key")
    token = f.encrypt(b"hello")
    assert f.decrypt(token) == b"hello"
    # Deterministic: a restart with the same secret reads old cookies.
    assert _make_fernet(b"Sixteen byte key").decrypt(token) == b"hello"
    assert _make_fernet(b"Sixteen byte kez").decrypt is not None
    with pytest.raises(InvalidToken):
        _make_fernet(b"Sixteen byte kez").decrypt(token)


def test_derived_key_is_valid_fernet_key() -> None:
    key = derive_fernet_key(b"0123456789abcdef")
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert key != derive_fernet_key(b"0123456789abcdeF")


def test_short_key_rejected() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        _make_fernet(b"short")


def test_32_raw_bytes_compatible_with_aiohttp_session_scheme() -> None:
    raw = bytes(range(32))
    ours = _make_fernet(raw)
    theirs = Fernet(base64.urlsafe_b64encode(raw))
    assert theirs.decrypt(ours.encrypt(b"x")) == b"x"


def test_generated_fernet_key_accepted_as_bytes_or_str() -> None:
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"y")
    assert _make_fernet(key).decrypt(token) == b"y"
    assert _make_fernet(key.decode()).decrypt(token) == b"y"


def test_fernet_and_multifernet_objects_used_as_is() -> None:
    old, new = Fernet(Fernet.generate_key()), Fernet(Fernet.generate_key())
    rotating = MultiFernet([new, old])
    assert _make_fernet(rotating) is rotating
    assert rotating.decrypt(old.encrypt(b"z")) == b"z"


def test_wrong_key_type_rejected() -> None:
    with pytest.raises(TypeError):
        _make_fernet(12345)


def test_storage_session_data_roundtrip() -> None:
    from aioweb.integrations.session import SimpleCookieStorage

    storage = SimpleCookieStorage()
    s = Session(None, data=None, new=True)
    s["n"] = 1
    data = storage._get_session_data(s)
    assert json.loads(json.dumps(data)) == {"created": s.created, "session": {"n": 1}}
    assert storage._get_session_data(Session(None, data=None, new=True)) == {}
