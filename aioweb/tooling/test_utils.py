"""Testing utilities with aiohttp's ``aiohttp.test_utils`` API, for aioweb applications.

- :class:`TestServer` / :class:`RawTestServer` serve an application or a low-level handler on a
  real socket (:mod:`aioweb.tooling.test_server`);
- :class:`TestClient` is aiohttp's ``ClientSession`` aimed at such a server
  (:mod:`aioweb.tooling.test_client`; needs ``pip install 'aioweb[test]'``);
- :class:`AioHTTPTestCase` for ``unittest`` suites (:mod:`aioweb.tooling.test_case`);
- :func:`make_mocked_request` for handlers and middlewares without a socket
  (:mod:`aioweb.tooling.mocked_request`);
- loops for tests that drive one by hand (:mod:`aioweb.tooling.test_loop`).

This module only gathers them; ``aioweb.test_utils`` is its public path.
"""

from __future__ import annotations

from aioweb.tooling.mocked_request import _MockedProtocol as _MockedProtocol
from aioweb.tooling.mocked_request import make_mocked_coro, make_mocked_request
from aioweb.tooling.test_case import AioHTTPTestCase, unittest_run_loop
from aioweb.tooling.test_client import TestClient
from aioweb.tooling.test_loop import loop_context, setup_test_loop, teardown_test_loop
from aioweb.tooling.test_server import (
    REUSE_ADDRESS,
    BaseTestServer,
    RawTestServer,
    TestServer,
    get_port_socket,
    get_unused_port_socket,
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
