"""``web.Server``: the low-level server, a plain ``handler(request) -> response`` on sockets.

It joins the server layer (connections, parsing, framing) to the framework's request and
error types: an ``HTTPException`` raised by the handler is sent as the response; any other
exception is logged and answered with a 500 whose body shows no traceback unless the
server runs in debug mode.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aioweb.framework.request import BaseRequest
from aioweb.framework.response import Response, StreamResponse
from aioweb.http.errors import HttpProtocolError
from aioweb.http.parser import ParserLimits, RequestHead
from aioweb.server.accesslog import AccessLogger, access_logger
from aioweb.server.log import server_logger
from aioweb.server.server import HttpServer, ServerSettings
from aioweb.server.settings import DEFAULTS as _DEFAULTS
from aioweb.server.streams import StreamReader

__all__ = ["Server"]


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
        **kwargs: Any,
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
        super().__init__(
            handler,
            request_factory=request_factory or self._make_request,
            error_response=self._error_response,
            settings=settings,
            access_logger=accesslog,
            loop=loop,
            logger=logger,
        )
        self.debug = debug
        self.request_handler = handler
        self._kwargs = kwargs

    def _make_request(self, head: RequestHead, payload: StreamReader, protocol: Any) -> BaseRequest:
        return BaseRequest(head, payload, protocol)

    def _error_response(self, request: Any, exc: BaseException) -> StreamResponse:
        """What to send when the handler raised ``exc`` before starting its response."""
        if getattr(exc, "__http_exception__", False):
            if not getattr(exc, "prepared", False):
                return exc  # type: ignore[return-value]
            exc = RuntimeError("An HTTPException that was already sent was raised again")
        if isinstance(exc, HttpProtocolError):
            # The request body broke the wire rules while the handler read it (bad chunk
            # framing): the client's fault, answered with the error's own status.
            self.logger.debug("Bad request body: %s", exc.message)
            return Response(status=exc.status, text=f"{exc.status}: {exc.message}")
        self.logger.error("Error handling request", exc_info=exc)
        debug = self.debug or getattr(getattr(request, "app", None), "debug", False)
        if debug:
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
        return Response(
            status=500, text="500 Internal Server Error\n\nServer got itself in trouble"
        )
