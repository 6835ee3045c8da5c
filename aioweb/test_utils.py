"""``aioweb.test_utils``: the public path of :mod:`aioweb.tooling.test_utils` (issue 12 moved the code; this
path stays, re-exporting the same objects)."""

from aioweb.tooling.test_utils import (
    BaseTestServer,
    RawTestServer,
    TestClient,
    TestServer,
    loop_context,
    make_mocked_request,
    unused_port,
)

__all__ = [
    "BaseTestServer",
    "loop_context",
    "make_mocked_request",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "unused_port",
]
