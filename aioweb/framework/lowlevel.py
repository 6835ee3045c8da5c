"""``web.Server``: the low-level server, a plain ``handler(request) -> response`` on sockets.

It joins the server layer (connections, parsing, framing) to the framework's request and
error types: an ``HTTPException`` raised by the handler is sent as the response; any other
exception is logged and answered with a 500 whose body shows no traceback unless the
server runs in debug mode.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aioweb.framework.decoded_body import keeping_encoded
from aioweb.framework.request import BaseRequest
from aioweb.framework.response import Response, StreamResponse
from aioweb.http.errors import BodyTimeout, MalformedBody
from aioweb.http.parser import ParserLimits, RequestHead
from aioweb.server.accesslog import AccessLogger, access_logger
from aioweb.server.log import server_logger
from aioweb.server.server import HttpServer, ServerSettings
from aioweb.server.settings import DEFAULTS as _DEFAULTS
from aioweb.server.streams import StreamReader

__all__ = ["Server", "check_server_options"]

_HTML_500 = (
    "<html><head><title>500 Internal Server Error</title></head><body>\n"
    "<h1>500 Internal Server Error</h1>\nServer got itself in trouble\n</body></html>\n"
)


class Server(HttpServer):
    """aiohttp's ``web.Server(handler, **kwargs)``; call it to get a protocol instance.

    Keyword settings: ``keepalive_timeout`` (75 s), ``idle_timeout`` (5 s),
    ``header_timeout`` (5 s), ``body_min_rate`` (1024 bytes/s), ``body_rate_grace`` (5 s),
    ``body_timeout`` (60 s), ``max_line_size`` (8190), ``max_field_size`` (8190),
    ``max_headers`` (100), ``max_head_size`` (256 KiB), ``max_chunk_extensions`` (16 KiB:
    bytes a chunked body may send beyond its data and ordinary framing, see
    ``ParserLimits``), ``read_bufsize`` (64 KiB),
    ``max_pipelined`` (64), ``handler_cancellation`` (False), ``access_log`` (a logger,
    or None to turn access logging off), ``access_log_class``, ``access_log_format``,
    ``debug``, ``logger``.

    ``auto_decompress=False`` hands request bodies on still encoded (``Content-Encoding``
    left to the handler), as in aiohttp.  aiohttp's other handler options are accepted so
    that ported code runs: ``tcp_keepalive``, ``lingering_time``, ``timeout_ceil_threshold``
    (kept as attributes; aioweb's own rules apply: see docs/compat.md).  Any other keyword
    is a ``TypeError`` here, at once: aiohttp defers it to the first connection, then logs a
    warning on each one and drops *all* the custom options, so a typo such as
    ``keepalive_timout=5`` silently turns every setting back to its default.
    """

    def __init__(
        self,
        handler: Callable[[Any], Awaitable[StreamResponse]],
        *,
        request_factory: Callable[[RequestHead, StreamReader, Any], Any] | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        debug: bool = False,
        logger: logging.Logger = server_logger,
        access_log: logging.Logger | None = access_logger,
        access_log_class: type[AccessLogger] = AccessLogger,
        access_log_format: str = AccessLogger.LOG_FORMAT,
        keepalive_timeout: float = _DEFAULTS.keepalive_timeout,
        idle_timeout: float = _DEFAULTS.idle_timeout,
        header_timeout: float = _DEFAULTS.header_timeout,
        body_timeout: float = _DEFAULTS.body_timeout,
        body_min_rate: float = _DEFAULTS.body_min_rate,
        body_rate_grace: float = _DEFAULTS.body_rate_grace,
        max_line_size: int = _DEFAULTS.limits.max_line_size,
        max_field_size: int = _DEFAULTS.limits.max_field_size,
        max_headers: int = _DEFAULTS.limits.max_headers,
        max_head_size: int = _DEFAULTS.limits.max_head_size,
        max_chunk_extensions: int = _DEFAULTS.limits.max_chunk_extensions,
        read_bufsize: int = _DEFAULTS.read_bufsize,
        max_pipelined: int = _DEFAULTS.max_pipelined,
        handler_cancellation: bool = _DEFAULTS.handler_cancellation,
        tcp_keepalive: bool = True,
        lingering_time: float = 10.0,
        auto_decompress: bool = True,
        timeout_ceil_threshold: float = 5,
    ) -> None:
        settings = ServerSettings(
            limits=ParserLimits(
                max_line_size=max_line_size,
                max_field_size=max_field_size,
                max_headers=max_headers,
                max_head_size=max_head_size,
                max_chunk_extensions=max_chunk_extensions,
            ),
            keepalive_timeout=keepalive_timeout,
            idle_timeout=idle_timeout,
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            body_min_rate=body_min_rate,
            body_rate_grace=body_rate_grace,
            read_bufsize=read_bufsize,
            max_pipelined=max_pipelined,
            handler_cancellation=handler_cancellation,
        )
        accesslog = access_log_class(access_log, access_log_format) if access_log else None
        factory = request_factory or self._make_request
        super().__init__(
            handler,
            request_factory=factory if auto_decompress else keeping_encoded(factory),
            error_response=self._error_response,
            settings=settings,
            access_logger=accesslog,
            loop=loop,
            logger=logger,
        )
        self.debug = debug
        self.request_handler = handler
        self.tcp_keepalive = tcp_keepalive
        self.lingering_time = lingering_time
        self.auto_decompress = auto_decompress
        self.timeout_ceil_threshold = timeout_ceil_threshold

    def _make_request(self, head: RequestHead, payload: StreamReader, protocol: Any) -> BaseRequest:
        return BaseRequest(head, payload, protocol)

    def _error_response(self, request: Any, exc: BaseException) -> StreamResponse:
        """What to send when the handler raised ``exc`` before starting its response.

        As in aiohttp: an ``HTTPException`` is the response; a ``TimeoutError`` is a 504 and
        any other error a 500, logged with the client's address, and the connection closes
        after it (the application is in an unknown state: nothing more is read from this
        client).
        """
        if getattr(exc, "__http_exception__", False):
            if not getattr(exc, "prepared", False):
                return exc  # type: ignore[return-value]
            exc = RuntimeError("An HTTPException that was already sent was raised again")
        if isinstance(exc, (MalformedBody, BodyTimeout)):
            # The request body broke the wire rules (bad chunk framing) or stalled while the
            # handler read it: the client's fault, answered with the error's own status.
            self.logger.debug("Bad request body: %s", exc.message)
            return Response(status=exc.status, text=f"{exc.status}: {exc.message}")
        if isinstance(exc, TimeoutError):
            if self.debug:
                self.logger.debug("Request handler timed out.", exc_info=exc)
            response: StreamResponse = Response(status=504, text="504 Gateway Timeout")
        else:
            self._log_error(request, exc)
            response = self._internal_error(request, exc)
        response.force_close()
        return response

    def _log_error(self, request: Any, exc: BaseException) -> None:
        """``Error handling request from <peer>`` at ERROR with the traceback; at DEBUG for
        aiohttp's ``BadHttpMethod`` on a connection's first request (what a TLS handshake or
        a port scanner sent to a plain HTTP port produces: noise on a public server)."""
        remote = getattr(request, "remote", None)
        protocol = getattr(request, "protocol", None)
        first = getattr(protocol, "request_count", 0) == 1
        if first and any(cls.__name__ == "BadHttpMethod" for cls in type(exc).__mro__):
            self.logger.debug("Error handling request from %s", remote, exc_info=exc)
        else:
            self.logger.exception("Error handling request from %s", remote, exc_info=exc)

    def _internal_error(self, request: Any, exc: BaseException) -> StreamResponse:
        """The 500: aioweb's debug page in debug mode, else a short page, HTML for a client
        that accepts HTML (browsers), plain text otherwise, without the traceback."""
        if self.debug or getattr(getattr(request, "app", None), "debug", False):
            render: Callable[[Any, BaseException], StreamResponse] | None = getattr(
                self, "render_debug_page", None
            )
            if render is None:
                # Imported only in debug mode: production never loads the page renderer.
                from aioweb.framework.debug import error_response  # noqa: PLC0415 (debug page: loaded only when debug is on)

                render = error_response
            try:
                return render(request, exc)
            except Exception:
                text = "".join(traceback.format_exception(exc))
                return Response(status=500, text=f"500 Internal Server Error\n\n{text}")
        headers = getattr(request, "headers", None)
        if headers is not None and "text/html" in headers.get("Accept", ""):
            return Response(status=500, text=_HTML_500, content_type="text/html")
        return Response(
            status=500, text="500 Internal Server Error\n\nServer got itself in trouble"
        )


def check_server_options(options: dict[str, Any]) -> None:
    """Raise ``TypeError`` for a keyword :class:`Server` does not take (``AppRunner`` and
    ``run_app`` check theirs when called, not when the server is built at ``setup()``)."""
    known = inspect.signature(Server.__init__).parameters
    unknown = sorted(name for name in options if name not in known or name == "handler")
    if unknown:
        raise TypeError(f"unexpected server option(s): {', '.join(unknown)}")
