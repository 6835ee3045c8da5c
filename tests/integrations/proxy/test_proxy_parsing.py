"""Forwarding-header parsing and the trusted-chain walk (pure functions, no server)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb.integrations.proxy import (
    ForwardedError,
    Forwarding,
    TrustedProxies,
    parse_forwarded,
    parse_node,
    resolve_forwarded,
    resolve_x_forwarded,
)

# --- RFC 7239 syntax ------------------------------------------------------------------------


def test_forwarded_rfc_examples() -> None:
    # The examples of RFC 7239 sections 4 and 7.
    assert parse_forwarded('for="_gazonk"') == [{"for": "_gazonk"}]
    assert parse_forwarded('For="[2001:db8:cafe::17]:4711"') == [
        {"for": "[2001:db8:cafe::17]:4711"}
    ]
    assert parse_forwarded("for=192.0.2.60;proto=http;by=203.0.113.43") == [
        {"for": "192.0.2.60", "proto": "http", "by": "203.0.113.43"}
    ]
    assert parse_forwarded("for=192.0.2.43, for=198.51.100.17") == [
        {"for": "192.0.2.43"},
        {"for": "198.51.100.17"},
    ]


def test_forwarded_quoted_string_with_comma_semicolon_and_escapes() -> None:
    elements = parse_forwarded(r'for=1.2.3.4;ext="a,b;c=\"d\"\\", for=5.6.7.8')
    assert elements == [{"for": "1.2.3.4", "ext": 'a,b;c="d"\\'}, {"for": "5.6.7.8"}]


def test_forwarded_tolerates_whitespace_and_empty_list_elements() -> None:
    assert parse_forwarded(" , for=1.2.3.4 ; proto=https ,, ,for=5.6.7.8 ,") == [
        {"for": "1.2.3.4", "proto": "https"},
        {"for": "5.6.7.8"},
    ]
    assert parse_forwarded("") == []


def test_forwarded_parameter_names_are_case_insensitive() -> None:
    assert parse_forwarded("FOR=1.2.3.4;Proto=HTTPS;HoSt=x") == [
        {"for": "1.2.3.4", "proto": "HTTPS", "host": "x"}
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "for",  # no value
        "for=",  # empty value
        "for=1.2.3.4 junk",  # junk after a pair
        'for="1.2.3.4',  # unterminated quote
        "for=[2001:db8::1]",  # '[' is not a token character: IPv6 must be quoted
        "for=1.2.3.4;for=5.6.7.8",  # parameter repeated in one element
        "=1.2.3.4",
        'for="a\x00b"',  # control character inside a quoted string
        "for=a b",
    ],
)
def test_forwarded_rejects_malformed(bad: str) -> None:
    with pytest.raises(ForwardedError):
        parse_forwarded(bad)


@pytest.mark.parametrize(
    ("node", "name"),
    [
        ("192.0.2.43", "192.0.2.43"),
        ("192.0.2.43:47011", "192.0.2.43"),
        ("192.0.2.43:_port", "192.0.2.43"),
        ("[2001:DB8:0:0::1]", "2001:db8::1"),
        ("[2001:db8::1]:4711", "2001:db8::1"),
        ("unknown", "unknown"),
        ("UNKNOWN", "unknown"),
        ("_gazonk", "_gazonk"),
        ("_SEVKISEK", "_SEVKISEK"),
        ("_a.b-c_d", "_a.b-c_d"),
    ],
)
def test_parse_node(node: str, name: str) -> None:
    assert parse_node(node) == name


@pytest.mark.parametrize(
    "node",
    [
        "",
        "example.com",  # names are not nodes
        "1.2.3",
        "1.2.3.4:",
        "1.2.3.4:99999999",
        "1.2.3.4:port",
        "[2001:db8::1",
        "[2001:db8::1]x",
        "[not-ipv6]",
        "2001:db8::1",  # unbracketed IPv6 is ambiguous with a port
        "_",
        "_bad!",
        "[1.2.3.4]",
    ],
)
def test_parse_node_rejects(node: str) -> None:
    with pytest.raises(ForwardedError):
        parse_node(node)


TRUSTED = TrustedProxies("10.0.0.0/8, 127.0.0.1")


def fwd(*lines: str, trusted: TrustedProxies = TRUSTED) -> Forwarding:
    return resolve_forwarded(list(lines), trusted)


def xfwd(
    xff: str | None, proto: str | None = None, host: str | None = None, **kw: TrustedProxies
) -> Forwarding:
    def as_list(value: str | None) -> list[str]:
        return [] if value is None else [value]

    return resolve_x_forwarded(
        as_list(xff), as_list(proto), as_list(host), trusted=kw.get("trusted", TRUSTED)
    )


def test_forwarded_validates_proto_and_host_of_the_chosen_element() -> None:
    assert fwd('for="[::1]:80";proto=HTTPS;host="Example.com:8443";by=_proxy') == Forwarding(
        "::1", "https", "Example.com:8443"
    )
    for bad in ["for=1.2.3.4;proto=ht/tp", 'for=1.2.3.4;host="a b"', 'for=1.2.3.4;host="a/b"']:
        with pytest.raises(ForwardedError):
            fwd(bad)


def test_forwarded_header_lines_are_separate_lists() -> None:
    assert fwd("for=1.1.1.1", "for=10.0.0.2") == Forwarding("1.1.1.1")
    # A quote left open in one line does not run into the next one.
    with pytest.raises(ForwardedError):
        fwd('for="10.0.0.1', "for=10.0.0.2")


def test_forwarded_parts_older_than_the_client_are_never_parsed() -> None:
    # The client wrote the first line (junk); the trusted proxy appended the second one.
    assert fwd('for="junk;;;', "for=203.0.113.9, for=10.0.0.7") == Forwarding("203.0.113.9")
    assert fwd("for=nonsense, for=203.0.113.9;proto=https") == Forwarding("203.0.113.9", "https")
    # ...but junk in the part the walk must read is an error (a misconfigured proxy).
    with pytest.raises(ForwardedError):
        fwd("for=203.0.113.9, for=nonsense")


# --- X-Forwarded-* --------------------------------------------------------------------------


def test_x_forwarded_for_list_and_lines() -> None:
    found = resolve_x_forwarded(["203.0.113.7, 10.0.0.2", "10.0.0.3"], trusted=TRUSTED)
    assert found == Forwarding("203.0.113.7")


@pytest.mark.parametrize(
    ("entry", "name"),
    [
        ("2001:DB8::7", "2001:db8::7"),
        ("[2001:db8::8]:5000", "2001:db8::8"),
        ("1.2.3.4:80", "1.2.3.4"),
        ("unknown", "unknown"),
        (" 1.2.3.4 ", "1.2.3.4"),
    ],
)
def test_x_forwarded_for_accepts_ports_ipv6_and_unknown(entry: str, name: str) -> None:
    assert xfwd(entry).remote == name


@pytest.mark.parametrize(
    "bad", ["example.com", "1.2.3.4.5", "<script>", "1.2.3.4 5.6.7.8", "_obf", "[::1"]
)
def test_x_forwarded_for_rejects_non_addresses_the_walk_reaches(bad: str) -> None:
    with pytest.raises(ForwardedError):
        xfwd(bad)
    with pytest.raises(ForwardedError):
        xfwd(f"8.8.8.8, {bad}, 10.0.0.1")
    # Left of the client, the same junk is the client's own business.
    assert xfwd(f"{bad}, 8.8.8.8, 10.0.0.1").remote == "8.8.8.8"


def test_x_forwarded_proto_host_single_value_is_the_proxy_word() -> None:
    assert xfwd("1.1.1.1, 10.0.0.2", "HTTPS", "example.com") == Forwarding(
        "1.1.1.1", "https", "example.com"
    )


def test_x_forwarded_proto_one_value_per_hop_is_aligned() -> None:
    found = xfwd("1.1.1.1, 10.0.0.2", "https, http", "a.example, b.example")
    assert found == Forwarding("1.1.1.1", "https", "a.example")
    found = xfwd("1.1.1.1, 2.2.2.2", "https, http", "a.example, b.example")
    assert found == Forwarding("2.2.2.2", "http", "b.example")


def test_x_forwarded_proto_without_for() -> None:
    assert xfwd(None, "https") == Forwarding(None, "https", None)
    assert xfwd(None) == Forwarding()
    assert xfwd("") == Forwarding()


@pytest.mark.parametrize(
    ("proto", "host"),
    [("ht tp", None), ("1http", None), (None, "exa mple.com"), (None, "a/b"), (None, "x:port")],
)
def test_x_forwarded_rejects_bad_proto_and_host(proto: str | None, host: str | None) -> None:
    with pytest.raises(ForwardedError):
        xfwd("1.2.3.4", proto, host)


# --- the trusted set ------------------------------------------------------------------------


def test_trusted_proxies_addresses_networks_and_words() -> None:
    trusted = TrustedProxies("127.0.0.1, 10.0.0.0/8 ::1 fd00::/8")
    assert "127.0.0.1" in trusted
    assert "10.200.3.4" in trusted
    assert "::1" in trusted
    assert "fd12::1" in trusted
    assert "::ffff:10.1.2.3" in trusted  # IPv4-mapped peer of a dual-stack socket
    assert "127.0.0.2" not in trusted
    assert "11.0.0.1" not in trusted
    assert "unknown" not in trusted
    assert "_hidden" not in trusted
    assert "garbage" not in trusted
    assert None not in trusted
    assert not trusted.trust_unix
    assert not trusted.trust_all


def test_trusted_proxies_from_objects_and_words() -> None:
    trusted = TrustedProxies([ipaddress.ip_address("192.0.2.1"), ipaddress.ip_network("::/0")])
    assert "192.0.2.1" in trusted
    assert "2001:db8::1" in trusted
    assert "192.0.2.2" not in trusted
    assert TrustedProxies("unix").trust_unix
    everyone = TrustedProxies("*")
    assert "8.8.8.8" in everyone and "_obf" in everyone and everyone.trust_unix
    assert not TrustedProxies([])


@pytest.mark.parametrize("bad", ["localhost", "10.0.0.0/33", "1.2.3"])
def test_trusted_proxies_rejects_bad_entries(bad: str) -> None:
    with pytest.raises(ValueError, match="trusted proxy"):
        TrustedProxies(bad)


# --- choosing the client's hop ----------------------------------------------------------------


def test_single_proxy() -> None:
    assert xfwd("203.0.113.7", "https", "example.com") == Forwarding(
        "203.0.113.7", "https", "example.com"
    )


def test_client_supplied_entries_left_of_the_client_are_ignored() -> None:
    # The client sent "X-Forwarded-For: 10.0.0.9, 1.1.1.1" hoping to be taken for 10.0.0.9 (a
    # trusted address) or 1.1.1.1; nginx appended the real address.
    assert xfwd("10.0.0.9, 1.1.1.1, 203.0.113.7").remote == "203.0.113.7"


def test_multiple_trusted_hops_are_skipped() -> None:
    found = fwd(
        'for=198.51.100.1;proto=https;host=shop.example, for=10.0.0.5;proto=http, for="10.0.0.6"'
    )
    assert found == Forwarding("198.51.100.1", "https", "shop.example")


def test_all_hops_trusted_uses_the_oldest() -> None:
    assert xfwd("10.0.0.1, 10.0.0.2").remote == "10.0.0.1"
    assert fwd("for=10.0.0.1;proto=https, for=10.0.0.2") == Forwarding("10.0.0.1", "https")


def test_obfuscated_and_unknown_clients_are_reported_as_given() -> None:
    assert fwd('for=_hidden, for="10.0.0.3"').remote == "_hidden"
    assert fwd("for=unknown;proto=https") == Forwarding("unknown", "https", None)


def test_element_without_for_stops_the_walk_and_keeps_the_peer_address() -> None:
    found = fwd("for=1.1.1.1;proto=http, proto=https;host=example.com")
    assert found == Forwarding(None, "https", "example.com")


def test_everything_trusted_walks_to_the_oldest_claim() -> None:
    everyone = TrustedProxies("*")
    assert xfwd("1.2.3.4, 5.6.7.8", trusted=everyone).remote == "1.2.3.4"


def test_empty_chain_changes_nothing() -> None:
    assert fwd() == Forwarding()
    assert fwd("") == Forwarding()


# --- properties -------------------------------------------------------------------------------

ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
obfuscated = st.from_regex(r"_[A-Za-z0-9._-]{1,12}", fullmatch=True)


@st.composite
def rfc7239_node(draw: st.DrawFn) -> tuple[str, str]:
    """(node as written in a header, expected canonical name)."""
    kind = draw(st.sampled_from(["v4", "v6", "obf", "unknown"]))
    port = draw(st.one_of(st.just(""), st.integers(0, 65535).map(str), obfuscated))
    suffix = f":{port}" if port else ""
    if kind == "v4":
        ip = draw(ipv4)
        return ip + suffix, ip
    if kind == "v6":
        ip = draw(ipv6)
        return f"[{ip}]{suffix}", str(ipaddress.IPv6Address(ip))
    if kind == "obf":
        name = draw(obfuscated)
        return name + suffix, name
    return "unknown" + suffix, "unknown"


@given(st.lists(rfc7239_node(), min_size=1, max_size=6))
def test_property_forwarded_round_trip(nodes: list[tuple[str, str]]) -> None:
    header = ", ".join(f'for="{written}"' for written, _ in nodes)
    assert [parse_node(e["for"]) for e in parse_forwarded(header)] == [name for _, name in nodes]
    # Nothing is trusted: the newest element is the client.
    assert fwd(header, trusted=TrustedProxies([])).remote == nodes[-1][1]


@given(st.text(max_size=60))
def test_property_parser_never_fails_other_than_forwarded_error(text: str) -> None:
    everyone = TrustedProxies("*")
    for parse in (
        lambda: fwd(text, trusted=everyone),
        lambda: xfwd(text, text, text, trusted=everyone),
    ):
        try:
            parse()
        except ForwardedError:
            pass


@given(st.lists(st.one_of(ipv4, ipv6), min_size=1, max_size=8), ipv4)
def test_property_client_is_rightmost_untrusted(chain: list[str], client: str) -> None:
    # Whatever the client claims, after its real address only trusted proxies follow.
    trusted = TrustedProxies("10.0.0.0/8")
    proxies = [f"10.0.0.{i}" for i in range(1, 4)]
    expected = client if client not in trusted else None
    found = xfwd(", ".join([*chain, client, *proxies]), trusted=trusted).remote
    if expected is not None:
        assert found == expected
    else:  # the client itself is in the trusted range: keep walking into its claims
        assert found in [str(ipaddress.ip_address(c)) for c in chain] + [client]
