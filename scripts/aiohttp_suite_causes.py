"""Root causes of aiohttp-suite failures on aioweb: a first classification by test id and message.

Each cause names the aioweb area a fix belongs to, so the second wave can split the work by file.
The first rule that matches wins; the order puts the specific before the general.  A human
refines the ledger's ``cause`` afterwards; this only spares typing it 300 times.
"""

from __future__ import annotations

import re

# cause -> (aioweb area likely to change, what is wrong)
CAUSES: dict[str, tuple[str, str]] = {
    "environment": (
        "-",
        "fails on aiohttp 3.14.5 itself here (runs as root: chmod 000 is no barrier)",
    ),
    "alias": (
        "new one-place alias module (aioweb/<aiohttp module path>)",
        "aiohttp's public module path or name missing under aioweb, or a stand-in class",
    ),
    "payload": (
        "framework/response.py + a payload module; multipart_writer.py",
        "bodies beyond bytes/str: async iterators, Payload objects, MultipartWriter.append_payload",
    ),
    "deprecation": (
        "framework/* (where aiohttp warns)",
        "aiohttp's DeprecationWarning not emitted",
    ),
    "websocket": (
        "framework/websocket.py, websocket_session.py",
        "close handshake hangs, internals",
    ),
    "pipelining": (
        "server/protocol.py",
        "pipelined requests, upgrade tail, read pausing, first-request idle deadline",
    ),
    "client-max-fields": (
        "framework/app.py, request.py, multipart_form.py, tooling/mocked_request.py",
        "aiohttp 3.14's client_max_fields option",
    ),
    "static": (
        "framework/routing/staticfiles.py",
        "static directory index HTML, 403 vs 404, special files, quoting, repr",
    ),
    "conditional": (
        "http/conditional.py, framework/fileresponse.py",
        "If-Range / If-Unmodified-Since",
    ),
    "compression": (
        "framework/compression.py, fileresponse.py",
        "coding choice (br preferred), Content-Length of compressed bodies, zlib backends",
    ),
    "access-log": ("framework access logger (aioweb.web_log's AccessLogger)", "format atoms, tz"),
    "raw-server": (
        "framework/lowlevel.py, server/protocol.py",
        "error logging 'from <peer>', 504 on handler timeout, HTML error pages, handler_cancellation",
    ),
    "run-app": ("framework/run.py", "logging set-up, shutdown ordering, exception handler"),
    "request": (
        "framework/request.py, tooling/mocked_request.py",
        "host/remote without transport, cookies, Forwarded, clone, repr, multipart errors",
    ),
    "router": (
        "framework/routing/*",
        "SystemRoute, domains, allowed methods, repr, error messages",
    ),
    "exceptions": ("framework/exceptions.py", "reason validation, CRLF in Location, HTTPOk"),
    "app-keys": ("framework/helpers.py (AppKey, RequestKey, ResponseKey)", "repr, ordering"),
    "multipart-form": (
        "framework/multipart_form.py",
        "request.post() file fields: spooled files left open, part-count limits",
    ),
    "mocked-writer": (
        "tooling/mocked_request.py, framework/response.py",
        "make_mocked_request(writer=...) with an AbstractStreamWriter: aioweb does not drive it",
    ),
    "response": ("framework/response.py", "headers of empty bodies (no Content-Type on 201/404)"),
    "deliberate-431": ("http/parser.py", "aioweb answers 431 for oversized headers (deliberate)"),
    "deliberate-head": (
        "framework/views.py, routing",
        "aioweb lists HEAD for GET routes (deliberate)",
    ),
    "private": ("- (exclude)", "reads or patches aiohttp's private internals"),
    "other": ("?", "not classified yet"),
}

_RULES: list[tuple[str, str]] = [
    # (cause, regex searched in "<test id> <message>")
    ("environment", r"without_read_permission"),  # fail on aiohttp too when run as root
    ("private", r"no attribute '_|has no attribute '_|_timeout_ceil_threshold|immutable type|"
     r"create_server' to have been called|access_log_format|_make_handler|_set_loop"),
    ("alias", r"ModuleNotFoundError: No module named 'aioweb\.|cannot import name|aiohttp\.(abc|hdrs|"
     r"helpers|web_urldispatcher|typedefs|payload|http_exceptions)\.|isinstance\(<SystemRoute|"
     r"ETag\(value=|_default_expect_handler"),
    ("payload", r"response_with_(file|streamer|bodypart)|async_gen|append_payload|Only io.IOBase, multidict|payload|test_await|"
     r"Can not write request body|test_multipart\b"),
    ("deprecation", r"DID NOT WARN"),
    ("mocked-writer", r"can't be used in 'await' expression"),
    ("multipart-form", r"spool_rollover|multipart_formdata"),
    ("response", r"default_content_type_no_body"),
    ("deliberate-431", r"assert 400 == 431"),
    ("client-max-fields", r"client_max_fields|max_client_fields|descriptor_cost"),
    ("websocket", r"test_web_websocket_functional"),
    ("pipelining", r"pipelin|upgrade_tail|idle_connection|first_request|trickled|requests_count|"
     r"keepalive"),
    ("static", r"static|symlink|special_resource|permission"),
    ("conditional", r"if_range|if_unmodified|if_modified|if_match|if_none_match"),
    ("compression", r"compress|decompress|brotli|zstd"),
    ("access-log", r"test_web_log|access_log"),
    ("raw-server", r"test_web_server"),
    ("run-app", r"test_run_app"),
    ("app-keys", r"Key\(|AppKey|app_iter|str_keys"),
    ("exceptions", r"test_web_exceptions"),
    ("deliberate-head", r"'(\w+,)*GET,HEAD,OPTIONS'"),
    ("router", r"test_urldispatch|test_route_def|test_classbasedview|test_web_urldispatcher|"
     r"test_web_middleware"),
    ("request", r"test_web_request"),
]  # fmt: skip


def classify(test_id: str, message: str) -> str:
    """The first cause whose rule matches the test id and its failure message."""
    text = f"{test_id} {message}"
    for cause, pattern in _RULES:
        if re.search(pattern, text):
            return cause
    return "other"
