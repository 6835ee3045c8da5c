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
    server skip the call (and the timing) when the record would be dropped anyway.
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
        """Read once per connection, when it opens: False means the server never calls
        :meth:`log` on that connection (and does not time its requests).  True here, as in
        aiohttp: a custom logger decides for itself; :class:`AccessLogger` asks its logger."""
        return True


# The ``extra`` key each atom's value is logged under (aiohttp's names, so that a structured
# log handler written for aiohttp reads the same fields); header atoms group into one dict.
_EXTRA_KEYS = {
    "a": "remote_address",
    "t": "request_start_time",
    "P": "process_id",
    "r": "first_request_line",
    "s": "response_status",
    "b": "response_size",
    "O": "response_size",
    "T": "request_time",
    "Tf": "request_time_frac",
    "D": "request_time_micro",
    "i": "request_header",
    "o": "response_header",
    "e": "environ",
}

_Getter = Callable[[Any, Any, float], Any]


def _request_header(name: str) -> _Getter:
    # No request at all (a connection that failed before one was parsed): say so, as aiohttp.
    return lambda req, resp, t: "(no headers)" if req is None else req.headers.get(name, "-")


def _remote(req: Any, resp: Any, t: float) -> Any:
    # ``""`` (a Unix socket's peer has no address) is logged as is; only "unknown" is ``-``.
    remote = None if req is None else req.remote
    return "-" if remote is None else remote


def _request_line(req: Any, resp: Any, t: float) -> str:
    if req is None:
        return "-"
    return f"{req.method} {req.raw_path} HTTP/{req.version[0]}.{req.version[1]}"


def _start_time(req: Any, resp: Any, t: float) -> str:
    start = datetime.datetime.now(datetime.UTC).astimezone() - datetime.timedelta(seconds=t)
    return start.strftime("[%d/%b/%Y:%H:%M:%S %z]")


_SIMPLE: dict[str, _Getter] = {
    "a": _remote,
    "t": _start_time,
    "P": lambda req, resp, t: f"<{os.getpid()}>",
    "r": _request_line,
    "s": lambda req, resp, t: resp.status,
    "b": lambda req, resp, t: resp.body_length,
    "O": lambda req, resp, t: resp.body_length,
    "T": lambda req, resp, t: str(round(t)),
    "Tf": lambda req, resp, t: f"{t:06f}",
    "D": lambda req, resp, t: str(round(t * 1_000_000)),
}


class AccessLogger(AbstractAccessLogger):
    """The default access logger: one ``logger.info`` line per request in ``log_format``.

    Each atom's value is also passed in the record's ``extra`` under aiohttp's field names
    (``remote_address``, ``response_status``, ``request_header: {name: value}``...).
    """

    LOG_FORMAT = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'

    def __init__(self, logger: logging.Logger, log_format: str = LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        self._format, self._atoms = self._compile(log_format)

    @staticmethod
    def _compile(log_format: str) -> tuple[str, list[tuple[str, str | None, _Getter]]]:
        """The ``%``-format string and, per atom in order: its extra key, header name, getter."""
        atoms: list[tuple[str, str | None, _Getter]] = []

        def replace(match: re.Match[str]) -> str:
            token, name, kind = match.group(1), match.group(2), match.group(3)
            if token == "%":
                return "%%"
            if name is None:
                atoms.append((_EXTRA_KEYS[token], None, _SIMPLE[token]))
            elif kind == "i":
                atoms.append(("request_header", name, _request_header(name)))
            elif kind == "o":
                atoms.append(
                    ("response_header", name, lambda req, resp, t: resp.headers.get(name, "-"))
                )
            else:
                atoms.append(("environ", name, lambda req, resp, t: os.environ.get(name, "-")))
            return "%s"

        fmt = _TOKEN.sub(replace, log_format.replace("%%", "\0")).replace("\0", "%%")
        return fmt, atoms

    @property
    def enabled(self) -> bool:
        """Whether the logger takes INFO records: access logging costs nothing while it does
        not (the usual production set-up leaves ``aioweb.access`` at WARNING)."""
        return self.logger.isEnabledFor(logging.INFO)

    def log(self, request: Any, response: Any, time_taken: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        try:
            values = []
            extra: dict[str, Any] = {}
            for key, name, getter in self._atoms:
                value = getter(request, response, time_taken)
                values.append(value)
                if name is None:
                    extra[key] = value
                else:
                    extra.setdefault(key, {})[name] = value
            self.logger.info(self._format % tuple(values), extra=extra)
        except Exception:
            self.logger.exception("Error in logging")
