"""The server's defaults, in one place: every function that takes one of these as an argument
(``web.Server``, ``run_app``, ``AppRunner``, the sites, ``run_workers``) reads its default here,
so the documented values cannot drift apart.

``ServerSettings`` holds what each connection reads; the module constants are what the
runners, sites and workers take.  The parser's limits are ``aioweb.http.parser.ParserLimits``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..http.parser import ParserLimits

__all__ = [
    "DEFAULTS",
    "DEFAULT_BACKLOG",
    "DEFAULT_KEEPALIVE_TIMEOUT",
    "DEFAULT_PORT",
    "DEFAULT_READ_BUFSIZE",
    "DEFAULT_SHUTDOWN_TIMEOUT",
    "DEFAULT_TLS_PORT",
    "ServerSettings",
]

#: Idle time between requests before a keep-alive connection is closed (aiohttp: 75 s).
DEFAULT_KEEPALIVE_TIMEOUT = 75.0
#: Unread body bytes buffered before reading from the socket pauses (aiohttp: 64 KiB).
DEFAULT_READ_BUFSIZE = 2**16
#: How long a graceful stop waits for requests in flight (aiohttp: 60 s).
DEFAULT_SHUTDOWN_TIMEOUT = 60.0
#: ``listen()`` backlog of every listening socket (aiohttp: 128).
DEFAULT_BACKLOG = 128
#: The port served when none is given: plain HTTP, and with a TLS context.
DEFAULT_PORT = 8080
DEFAULT_TLS_PORT = 8443


@dataclass(slots=True)
class ServerSettings:
    """Per-connection limits and timeouts (seconds).  Every one is configurable.

    A slow or silent client holds a socket, a protocol object and a carrier task; thousands of
    them (slow loris) starve everyone else, so each phase of a request has its own bound:

    - ``idle_timeout``: a new connection must send the first byte of its first request within
      this long, else it is closed quietly (it asked for nothing).
    - ``header_timeout``: a request's head must be complete this long after its first byte,
      however it trickles in (answered with 408, closed).
    - ``keepalive_timeout``: close a keep-alive connection idle this long between requests
      (aiohttp: 75).  Separate from ``idle_timeout``: a client that already proved itself may
      keep a connection warm; one that never sent a byte may not.  It also bounds the first
      request (as in aiohttp 3.14): a new connection is closed if its first request's head is
      not in within ``keepalive_timeout`` (when shorter than the two timeouts above).
    - ``body_min_rate`` / ``body_rate_grace``: after ``body_rate_grace`` seconds of a body, a
      client that delivers fewer than ``body_min_rate`` bytes per second (measured over
      windows of ``body_rate_grace`` seconds) is cut with 408.  A rate, not a total deadline:
      an honest large upload over a slow link takes as long as it needs.  Time while the
      server itself is not reading (the handler is not consuming the body) never counts.
      ``body_min_rate=0`` turns the rule off.
    - ``body_timeout``: the longest silence allowed while a body is expected (matters mostly
      with ``body_min_rate=0``; measured at the same checks).
    - ``read_bufsize``: unread body bytes buffered before reading from the socket pauses
      (reading resumes below it; the pause threshold is twice this).
    - ``max_pipelined``: requests parsed ahead of the one being answered before reading pauses.
    - ``handler_cancellation``: cancel a running handler when its client disconnects
      (aiohttp's option of the same name; off by default, as there).
    """

    limits: ParserLimits = field(default_factory=ParserLimits)
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT
    idle_timeout: float = 5.0
    header_timeout: float = 5.0
    body_timeout: float = 60.0
    body_min_rate: float = 1024.0
    body_rate_grace: float = 5.0
    read_bufsize: int = DEFAULT_READ_BUFSIZE
    max_pipelined: int = 64
    handler_cancellation: bool = False

    @property
    def first_request_timeout(self) -> float:
        """How long a new connection may stay silent: ``idle_timeout``, or ``keepalive_timeout``
        when that is shorter (aiohttp 3.14 closes a connection that sends no request within
        ``keepalive_timeout``; its first head is due by then too, see ``guards``)."""
        idle, keepalive = self.idle_timeout, self.keepalive_timeout  # (read per connection)
        return keepalive if keepalive > 0 and (idle <= 0 or keepalive < idle) else idle


#: The defaults as one object: ``DEFAULTS.idle_timeout`` and so on.
DEFAULTS = ServerSettings()
