"""``aioweb.test_utils``: the public path of :mod:`aioweb.tooling.test_utils` (aiohttp's
``aiohttp.test_utils`` API); this path re-exports the same objects."""

from aioweb.tooling.test_utils import (
    REUSE_ADDRESS,
    AioHTTPTestCase,
    BaseTestServer,
    RawTestServer,
    TestClient,
    TestServer,
    get_port_socket,
    get_unused_port_socket,
    loop_context,
    make_mocked_coro,
    make_mocked_request,
    setup_test_loop,
    teardown_test_loop,
    unittest_run_loop,
    unused_port,
)

__all__ = [
    "REUSE_ADDRESS",
    "AioHTTPTestCase",
    "BaseTestServer",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "get_port_socket",
    "get_unused_port_socket",
    "loop_context",
    "make_mocked_coro",
    "make_mocked_request",
    "setup_test_loop",
    "teardown_test_loop",
    "unittest_run_loop",
    "unused_port",
]
