"""Which requests switch protocols: the parser asks llhttp only when a switch is possible.

llhttp upgrades a CONNECT, or a request with ``Upgrade`` and ``Connection: upgrade``; the parser
skips that question for every other request (it is a call per request), so each of the cases
is pinned here: the head's ``upgrade`` flag and what ``feed`` hands over as the new protocol's
bytes.
"""

from __future__ import annotations

import pytest
from test_parser_properties import Recorder

from aioweb.http.parser import RequestParser

TAIL = b"\x00new protocol bytes"


@pytest.mark.parametrize(
    ("raw", "upgrade"),
    [
        (b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", True),
        (
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            True,
        ),
        (b"GET /ws HTTP/1.1\r\nHost: x\r\nUPGRADE: websocket\r\nConnection: upgrade\r\n\r\n", True),
        (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", False),  # no Connection
        (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n", False),  # no Upgrade
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", False),
    ],
)
def test_upgrade_only_when_llhttp_would(raw: bytes, upgrade: bool) -> None:
    recorder = Recorder()
    parser = RequestParser(recorder)
    tail = parser.feed(raw + TAIL if upgrade else raw)
    assert [head.upgrade for head in recorder.heads] == [upgrade]
    assert tail == (TAIL if upgrade else None)
