"""The ``HTTPException`` hierarchy: one class per status code, usable raised or returned.

As in aiohttp 3, each exception is also a :class:`~aioweb.framework.response.Response`, so a handler may
``raise web.HTTPFound('/x')`` or ``return web.HTTPFound('/x')``; returning one works but warns
``DeprecationWarning``, as aiohttp does (raise it: middlewares see it as the error it is).

aiohttp's other ``web`` exception names are gathered here too: ``RequestPayloadError``
(a malformed request body), ``PayloadAccessError`` (a body read after its response was sent),
``CleanupError`` and ``NotAppKeyWarning``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from yarl import URL

from aioweb.framework.helpers import NotAppKeyWarning
from aioweb.framework.response import Response
from aioweb.framework.signals import CleanupError
from aioweb.http.errors import PayloadAccessError, RequestPayloadError, describe_too_large

__all__ = [
    "CleanupError",
    "HTTPAccepted",
    "HTTPBadGateway",
    "HTTPBadRequest",
    "HTTPClientError",
    "HTTPConflict",
    "HTTPCreated",
    "HTTPError",
    "HTTPException",
    "HTTPExpectationFailed",
    "HTTPFailedDependency",
    "HTTPForbidden",
    "HTTPFound",
    "HTTPGatewayTimeout",
    "HTTPGone",
    "HTTPInsufficientStorage",
    "HTTPInternalServerError",
    "HTTPLengthRequired",
    "HTTPMethodNotAllowed",
    "HTTPMisdirectedRequest",
    "HTTPMove",
    "HTTPMovedPermanently",
    "HTTPMultipleChoices",
    "HTTPNetworkAuthenticationRequired",
    "HTTPNoContent",
    "HTTPNonAuthoritativeInformation",
    "HTTPNotAcceptable",
    "HTTPNotExtended",
    "HTTPNotFound",
    "HTTPNotImplemented",
    "HTTPNotModified",
    "HTTPOk",
    "HTTPPartialContent",
    "HTTPPaymentRequired",
    "HTTPPermanentRedirect",
    "HTTPPreconditionFailed",
    "HTTPPreconditionRequired",
    "HTTPProxyAuthenticationRequired",
    "HTTPRedirection",
    "HTTPRequestEntityTooLarge",
    "HTTPRequestHeaderFieldsTooLarge",
    "HTTPRequestRangeNotSatisfiable",
    "HTTPRequestTimeout",
    "HTTPRequestURITooLong",
    "HTTPResetContent",
    "HTTPSeeOther",
    "HTTPServerError",
    "HTTPServiceUnavailable",
    "HTTPSuccessful",
    "HTTPTemporaryRedirect",
    "HTTPTooManyRequests",
    "HTTPUnauthorized",
    "HTTPUnavailableForLegalReasons",
    "HTTPUnprocessableEntity",
    "HTTPUnsupportedMediaType",
    "HTTPUpgradeRequired",
    "HTTPUseProxy",
    "HTTPVariantAlsoNegotiates",
    "HTTPVersionNotSupported",
    "NotAppKeyWarning",
    "PayloadAccessError",
    "RequestPayloadError",
]

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None


class HTTPException(Response, Exception):
    """Base of every HTTP status exception; ``status_code`` is set by each subclass."""

    status_code = -1
    empty_body = False

    __http_exception__ = True

    def __init__(
        self,
        *,
        headers: HeadersArg = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if body is not None:
            # As in aiohttp: an exception's body is text (``text=``); raw bytes belong in a
            # Response (``return web.Response(body=..., status=...)``).
            warnings.warn(
                "body argument is deprecated for http web exceptions",
                DeprecationWarning,
                stacklevel=2,
            )
        Response.__init__(
            self,
            status=self.status_code,
            headers=headers,
            reason=reason,
            body=body,
            text=text,
            content_type=content_type,
        )
        Exception.__init__(self, self.reason)
        if self.body is None and not self.empty_body:
            self.text = f"{self.status}: {self.reason}"

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}: {self.reason}>"

    def finish_now(self, request: Any) -> bool:
        """The server's call for a response a handler *returned* (a raised one is written
        through ``prepare``): aiohttp's deprecation warning, then the usual fast path. Only
        exceptions pay for the check."""
        warnings.warn(
            "returning HTTPException object is deprecated (#2415) and will be removed, "
            "please raise the exception instead",
            DeprecationWarning,
            stacklevel=2,
        )
        return Response.finish_now(self, request)

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


class HTTPError(HTTPException):
    """Base class for exceptions with status codes in the 400s and 500s."""


class HTTPRedirection(HTTPException):
    """Base class for exceptions with status codes in the 300s."""


class HTTPSuccessful(HTTPException):
    """Base class for exceptions with status codes in the 200s."""


class HTTPOk(HTTPSuccessful):
    status_code = 200


class HTTPCreated(HTTPSuccessful):
    status_code = 201


class HTTPAccepted(HTTPSuccessful):
    status_code = 202


class HTTPNonAuthoritativeInformation(HTTPSuccessful):
    status_code = 203


class HTTPNoContent(HTTPSuccessful):
    status_code = 204
    empty_body = True


class HTTPResetContent(HTTPSuccessful):
    status_code = 205
    empty_body = True


class HTTPPartialContent(HTTPSuccessful):
    status_code = 206


def _location_header(location: str | URL) -> str:
    """``Location`` as sent: a URL as given when it is plain printable ASCII (kept verbatim,
    its percent-encoding untouched); otherwise normalised through ``yarl.URL`` (non-ASCII
    percent-encoded, CR/LF and other controls dropped, as aiohttp does), so that a location
    built from user input can never end the header and start another."""
    text = str(location)
    if isinstance(location, URL) or all(" " < char < "\x7f" for char in text):
        return text
    return str(URL(text))


class HTTPMove(HTTPRedirection):
    """A redirect: ``location`` becomes the ``Location`` header."""

    def __init__(
        self,
        location: str | URL,
        *,
        headers: HeadersArg = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if not location:
            raise ValueError("HTTP redirects need a location to redirect to.")
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self.headers["Location"] = _location_header(location)
        self.location = location


class HTTPMultipleChoices(HTTPMove):
    status_code = 300


class HTTPMovedPermanently(HTTPMove):
    status_code = 301


class HTTPFound(HTTPMove):
    status_code = 302


class HTTPSeeOther(HTTPMove):
    status_code = 303


class HTTPNotModified(HTTPRedirection):
    # Not a move: a 304 has no Location.
    status_code = 304
    empty_body = True


class HTTPUseProxy(HTTPMove):
    status_code = 305


class HTTPTemporaryRedirect(HTTPMove):
    status_code = 307


class HTTPPermanentRedirect(HTTPMove):
    status_code = 308


class HTTPClientError(HTTPError):
    """Base class for the 400s."""


class HTTPBadRequest(HTTPClientError):
    status_code = 400


class HTTPUnauthorized(HTTPClientError):
    status_code = 401


class HTTPPaymentRequired(HTTPClientError):
    status_code = 402


class HTTPForbidden(HTTPClientError):
    status_code = 403


class HTTPNotFound(HTTPClientError):
    status_code = 404


class HTTPMethodNotAllowed(HTTPClientError):
    """405, with the ``Allow`` header listing ``allowed_methods``."""

    status_code = 405

    def __init__(
        self,
        method: str,
        allowed_methods: Iterable[str],
        *,
        headers: HeadersArg = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        allowed = ",".join(sorted(allowed_methods))
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self.headers["Allow"] = allowed
        self.allowed_methods = set(allowed_methods)
        self.method = method.upper()


class HTTPNotAcceptable(HTTPClientError):
    status_code = 406


class HTTPProxyAuthenticationRequired(HTTPClientError):
    status_code = 407


class HTTPRequestTimeout(HTTPClientError):
    status_code = 408


class HTTPConflict(HTTPClientError):
    status_code = 409


class HTTPGone(HTTPClientError):
    status_code = 410


class HTTPLengthRequired(HTTPClientError):
    status_code = 411


class HTTPPreconditionFailed(HTTPClientError):
    status_code = 412


class HTTPRequestEntityTooLarge(HTTPClientError):
    """413; built by the framework with the limit and the size that exceeded it."""

    status_code = 413

    def __init__(self, max_size: float, actual_size: float, **kwargs: Any) -> None:
        kwargs.setdefault("text", describe_too_large(max_size, actual_size))
        super().__init__(**kwargs)

    @classmethod
    def for_limit(cls, limit: int, actual: int | None = None) -> HTTPRequestEntityTooLarge:
        """The one constructor the framework uses (request bodies, forms, GridFS uploads).

        ``actual`` is the size that crossed the limit when known; the text is the wire
        layer's (``aioweb.http.errors.describe_too_large``), so every 413 reads alike.
        """
        return cls(
            max_size=limit,
            actual_size=limit + 1 if actual is None else actual,
            text=describe_too_large(limit, actual),
        )

    @classmethod
    def for_fields(cls, max_fields: int) -> HTTPRequestEntityTooLarge:
        """A form with more than ``max_fields`` fields (``client_max_fields``, aiohttp 3.14's
        limit; its text, which clients and tests match)."""
        return cls(
            max_size=max_fields,
            actual_size=max_fields + 1,
            text=f"Maximum number of form fields {max_fields} exceeded.",
        )


class HTTPRequestURITooLong(HTTPClientError):
    status_code = 414


class HTTPUnsupportedMediaType(HTTPClientError):
    status_code = 415


class HTTPRequestRangeNotSatisfiable(HTTPClientError):
    status_code = 416


class HTTPExpectationFailed(HTTPClientError):
    status_code = 417


class HTTPMisdirectedRequest(HTTPClientError):
    status_code = 421


class HTTPUnprocessableEntity(HTTPClientError):
    status_code = 422


class HTTPFailedDependency(HTTPClientError):
    status_code = 424


class HTTPUpgradeRequired(HTTPClientError):
    status_code = 426


class HTTPPreconditionRequired(HTTPClientError):
    status_code = 428


class HTTPTooManyRequests(HTTPClientError):
    status_code = 429


class HTTPRequestHeaderFieldsTooLarge(HTTPClientError):
    status_code = 431


class HTTPUnavailableForLegalReasons(HTTPClientError):
    """451, with a ``Link`` to the authority that demands the block (RFC 7725)."""

    status_code = 451

    def __init__(self, link: str | URL | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._link = None
        if link:
            self._link = URL(link)
            self.headers["Link"] = f'<{self._link}>; rel="blocked-by"'

    @property
    def link(self) -> URL | None:
        return self._link


class HTTPServerError(HTTPError):
    """Base class for the 500s."""


class HTTPInternalServerError(HTTPServerError):
    status_code = 500


class HTTPNotImplemented(HTTPServerError):
    status_code = 501


class HTTPBadGateway(HTTPServerError):
    status_code = 502


class HTTPServiceUnavailable(HTTPServerError):
    status_code = 503


class HTTPGatewayTimeout(HTTPServerError):
    status_code = 504


class HTTPVersionNotSupported(HTTPServerError):
    status_code = 505


class HTTPVariantAlsoNegotiates(HTTPServerError):
    status_code = 506


class HTTPInsufficientStorage(HTTPServerError):
    status_code = 507


class HTTPNotExtended(HTTPServerError):
    status_code = 510


class HTTPNetworkAuthenticationRequired(HTTPServerError):
    status_code = 511


class UndecodableRequestBody(HTTPBadRequest, RequestPayloadError):
    """A request body that its ``Content-Encoding`` (gzip, deflate, br) cannot decode.

    Both a ``400 Bad Request`` (the client's fault, answered as such when uncaught) and, as
    in aiohttp, a :class:`RequestPayloadError` for handlers that catch that name.
    """
