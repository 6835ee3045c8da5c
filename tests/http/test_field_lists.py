"""The fields split by ``aioweb.http.lists.split_list`` (RFC 9110 §5.6.1): empty elements and
whitespace around elements do not count, in every field that uses the rule."""

from __future__ import annotations

from multidict import CIMultiDict

from aioweb.http.content_coding import accepted_codings
from aioweb.http.lists import split_list
from aioweb.http.websocket.handshake import check_request, choose_protocol

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def test_split_list_drops_empty_elements_and_whitespace() -> None:
    assert split_list(" a ,, b\t,") == ["a", "b"]
    assert split_list(["a", " ,b", ""]) == ["a", "b"]


def test_accept_encoding_list() -> None:
    assert accepted_codings(" , GZIP ;q=0.5,,\tbr") == {"gzip": 0.5, "br": 1.0}


def test_upgrade_and_connection_token_lists() -> None:
    headers = CIMultiDict(
        {
            "Upgrade": ", WebSocket\t",
            "Connection": "keep-alive, ,Upgrade",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": KEY,
        }
    )
    assert check_request("GET", headers) is None
    headers["Connection"] = "keep-alive, upgraded"
    refused = check_request("GET", headers)
    assert refused is not None and refused.status == 400


def test_subprotocol_list_in_the_client_order() -> None:
    assert choose_protocol(" ,v2.chat ,\tchat,", ["chat", "v2.chat"]) == "v2.chat"
    assert choose_protocol(",,", ["chat"]) is None
