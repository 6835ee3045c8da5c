"""The server↔framework contract (aioweb/server/contract.py) holds for the real classes.

``isinstance`` against a ``runtime_checkable`` Protocol checks that every member is present;
these tests fail when a member is renamed back to a private name on either side, and the
source scan fails when the framework reads a private attribute of the connection again.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

import aioweb
from aioweb.framework.response import Response, StreamResponse
from aioweb.framework.websocket import WebSocketResponse
from aioweb.server.contract import BodyStream, Connection, ServerResponse, UpgradeSink
from aioweb.server.protocol import HttpProtocol
from aioweb.server.server import HttpServer, ServerSettings
from aioweb.server.streams import StreamReader
from aioweb.tooling.test_utils import _MockedProtocol, make_mocked_request


async def _handler(request: object) -> Response:
    return Response(text="ok")


def _connection() -> HttpProtocol:
    server = HttpServer(
        _handler,
        loop=asyncio.get_running_loop(),
        settings=ServerSettings(),
        request_factory=lambda head, payload, protocol: None,
        error_response=lambda request, exc: Response(status=500),
    )
    return HttpProtocol(server)


async def test_http_protocol_is_a_connection() -> None:
    proto = _connection()
    assert isinstance(proto, Connection)
    # The public members read the connection's state (server_header: copied once).
    assert proto.server_header.startswith("Python/")
    assert proto.closing is False and proto.writing_paused is False and proto.task is None
    proto.pause_writing()
    assert proto.writing_paused is True


async def test_mocked_protocol_is_a_connection() -> None:
    request = make_mocked_request("GET", "/", closing=True)
    proto = request.protocol
    assert isinstance(proto, _MockedProtocol)
    assert isinstance(proto, Connection)
    assert request.keep_alive is False and request.task is None


async def test_responses_answer_the_server() -> None:
    for response in (Response(text="x"), StreamResponse(), WebSocketResponse()):
        assert isinstance(response, ServerResponse), type(response)
        assert response.eof_sent is False
    request = make_mocked_request("GET", "/")
    assert StreamResponse().finish_now(request) is False
    response = Response(text="x")
    assert response.finish_now(request) is True and response.eof_sent is True


async def test_upgrade_sink_and_body_stream() -> None:
    assert isinstance(WebSocketResponse(), UpgradeSink)
    assert isinstance(StreamReader(), BodyStream)


_PRIVATE_READS = re.compile(
    r"\b(?:protocol|writer|conn|_protocol)\.(?:_write_paused|_closing|_carrier|_flush|_server)\b"
    r"|getattr\([^)]*\"_(?:finish_now|eof_sent|carrier|closing|flush)\""
    r"|request\._payload"
)


@pytest.mark.parametrize("layer", ["framework", "integrations", "tooling"])
def test_no_private_reads_across_the_contract(layer: str) -> None:
    """No module reads the connection's (or the server's) private attributes: the members
    named in the contract are the only way across."""
    root = Path(aioweb.__file__).parent / layer
    found = [
        f"{path.relative_to(root.parent)}:{n}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if _PRIVATE_READS.search(line)
    ]
    assert not found, "\n".join(found)


_HANDLER_ALIAS = re.compile(r"^(Handler|Middleware|ExpectHandler)\s*(?::\s*TypeAlias\s*)?=", re.M)


def test_one_handler_type_definition() -> None:
    """Handler/Middleware aliases are defined in framework/types.py (and the server's own in
    server/contract.py), nowhere else."""
    root = Path(aioweb.__file__).parent
    defining = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if _HANDLER_ALIAS.search(path.read_text())
    }
    assert defining == {"framework/types.py", "server/contract.py"}
