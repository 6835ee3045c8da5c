"""Access logging in aiohttp's (Apache-like) format syntax.

The format is compiled once into a list of small functions.  When the logger is not enabled
for INFO, nothing is formatted; when access logging is off, the server never calls this.

Supported: ``%a`` remote address, ``%t`` request start time, ``%P`` pid, ``%r`` request
line, ``%s`` status, ``%b`` response body bytes, ``%T`` seconds, ``%Tf`` seconds with
fraction, ``%D`` microseconds, ``%{Name}i`` request header, ``%{Name}o`` response header,
``%%`` a literal percent.
"""

from __future__ import annotations

import abc
import datetime
import logging
import os
import re
from collections.abc import Callable
from typing import Any

from .log import access_logger

__all__ = ["AbstractAccessLogger", "AccessLogger", "access_logger"]


_TOKEN = re.compile(r"%(\{([A-Za-z0-9\-_]+)\}([ioe])|[atPrsbOD]|Tf?|%)")


class AbstractAccessLogger(abc.ABC):
    """aiohttp's base for custom access loggers: implement ``log(request, response, time)``.

    Passed as ``access_log_class``; built with ``(logger, log_format)``.  ``enabled`` lets the
    server skip the call when the logger would drop the record anyway.
    """

    __slots__ = ("log_format", "logger")

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abc.abstractmethod
    def log(self, request: Any, response: Any, time: float) -> None:
        """Emit the access log record for one finished request."""

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


class AccessLogger(AbstractAccessLogger):
    LOG_FORMAT = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'

    def __init__(self, logger: logging.Logger, log_format: str = LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._format, self._getters = self._compile(log_format)

    def _compile(self, log_format: str) -> tuple[str, list[Callable[[Any, Any, float], Any]]]:
        getters: list[Callable[[Any, Any, float], Any]] = []

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token == "%":
                return "%%"
            getters.append(self._getter(token, match.group(2), match.group(3)))
            return "%s"

        fmt = _TOKEN.sub(replace, log_format.replace("%%", "\0")).replace("\0", "%%")
        return fmt, getters

    @staticmethod
    def _getter(token: str, name: str | None, kind: str | None) -> Callable[[Any, Any, float], Any]:
        if name is not None:
            if kind == "i":
                return lambda req, resp, t: req.headers.get(name, "-")
            if kind == "o":
                return lambda req, resp, t: resp.headers.get(name, "-")
            return lambda req, resp, t: os.environ.get(name, "-")
        table: dict[str, Callable[[Any, Any, float], Any]] = {
            "a": lambda req, resp, t: req.remote or "-",
            "t": lambda req, resp, t: (
                datetime.datetime.now(datetime.UTC).astimezone() - datetime.timedelta(seconds=t)
            ).strftime("[%d/%b/%Y:%H:%M:%S %z]"),
            "P": lambda req, resp, t: f"<{os.getpid()}>",
            "r": lambda req, resp, t: (
                f"{req.method} {req.raw_path} HTTP/{req.version[0]}.{req.version[1]}"
            ),
            "s": lambda req, resp, t: resp.status,
            "b": lambda req, resp, t: resp.body_length,
            "O": lambda req, resp, t: resp.body_length,
            "T": lambda req, resp, t: round(t),
            "Tf": lambda req, resp, t: f"{t:06f}",
            "D": lambda req, resp, t: round(t * 1_000_000),
        }
        return table[token]

    def log(self, request: Any, response: Any, time_taken: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        try:
            values = tuple(getter(request, response, time_taken) for getter in self._getters)
            self.logger.info(
                self._format % values, extra={"request": request, "response": response}
            )
        except Exception:
            self.logger.exception("Error in logging")
