"""The exception hierarchy: one base, ``TaskadeError``, and a class per failure kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDict, CIMultiDictProxy

if TYPE_CHECKING:
    from .models import Task

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CreateTasksError",
    "ForbiddenError",
    "NotFoundError",
    "PaginationError",
    "PaymentRequiredError",
    "ProtocolError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "SessionClosedError",
    "TaskadeError",
    "TransportError",
    "UnauthorizedError",
    "ValidationError",
]


class TaskadeError(Exception):
    """Base class of every error this library raises.

    ``resume_from`` is set when a pager failed part-way: the cursor (task id) or
    page number to pass back to the list function to continue where it stopped
    (``after=exc.resume_from`` for tasks and blocks, ``page=`` for the others).
    """

    #: A str cursor from a cursor pager, an int page from a page pager, else None
    #: (typed Any, so that it can be passed back as ``after=`` or ``page=``).
    resume_from: Any = None
    #: How many times the request was sent before this error was raised (0 if never);
    #: set on every error that leaves ``Session.request``, and said in its message.
    attempts: int = 0


class ValidationError(TaskadeError, ValueError):
    """Bad arguments, caught before anything was sent."""


class TransportError(TaskadeError):
    """The request failed on the network: connect error, reset, or timeout.

    ``may_have_applied`` is True when a request may have reached the server
    (it was sent, and its answer was lost): a POST or PATCH may then have been
    carried out, so check before sending it again. False when the server
    cannot have acted (the connection could not be opened, or it refused).
    """

    def __init__(
        self, message: str, *, method: str = "", url: str = "", may_have_applied: bool = False
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.may_have_applied = may_have_applied


class RequestTimeoutError(TransportError, TimeoutError):
    """The call's deadline passed (it covers every attempt, backoff and refresh)."""


class SessionClosedError(TransportError):
    """The session was closed while this call was in flight (or before it was sent).

    ``attempts`` and ``may_have_applied`` say whether a request may have
    reached the server.
    """


class AuthenticationError(TaskadeError):
    """No usable credentials, or refreshing the OAuth2 token failed."""


class PaginationError(TaskadeError):
    """A pager saw a cursor or page that does not advance."""


class ProtocolError(TaskadeError):
    """The server answered with something that is not the documented JSON."""

    #: The decoded JSON that did not have the documented shape, when it was JSON.
    body: Any = None

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        status: int | None = None,
        body_excerpt: str = "",
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.status = status
        self.body_excerpt = body_excerpt
        self.body = body


#: Response headers that carry an id of the request, the first one present wins.
REQUEST_ID_HEADERS: Final = ("x-request-id", "x-amzn-requestid", "request-id", "cf-ray")


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id a response's headers carry (``x-request-id``, ``cf-ray``, ...), if any."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


class APIError(TaskadeError):
    """The API answered with an error status.

    Branch on ``code`` (the API's machine-readable code, e.g. ``"NOT_FOUND"``),
    not on ``message``. ``headers`` are the response's (case-insensitive);
    ``request_id`` is the id the server gave the request (from
    ``x-request-id``, ``cf-ray`` or similar), also in the message: quote it
    when you ask Taskade's support about a failure.
    """

    #: The start of the body, when it was not the documented JSON error.
    body_excerpt: str = ""

    def __init__(
        self,
        *,
        status: int,
        code: str | None,
        message: str | None,
        status_message: str | None,
        method: str,
        url: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(headers, CIMultiDictProxy):
            headers = CIMultiDictProxy(CIMultiDict(headers or {}))
        request_id = request_id_of(headers)
        detail = f"{method} {url} -> {status}"
        if code:
            detail += f" {code}"
        if message:
            detail += f": {message}"
        if request_id:
            detail += f" [request id {request_id}]"
        super().__init__(detail)  # first: a ProtocolError base would reset the fields below
        self.status = status
        self.code = code
        self.message = message
        self.status_message = status_message
        self.method = method
        self.url = url
        self.body = body
        self.headers: CIMultiDictProxy[str] = headers
        self.request_id = request_id


class BadRequestError(APIError):
    """400: the body or parameters were refused."""


class UnauthorizedError(APIError, AuthenticationError):
    """401: the token is missing, invalid or expired."""


class PaymentRequiredError(APIError):
    """402: the account's plan does not allow this."""


class ForbiddenError(APIError):
    """403: the token may not access this resource."""


class NotFoundError(APIError):
    """404: no such resource (or not visible to this token)."""


class ConflictError(APIError):
    """409: the request conflicts with the resource's state."""


class RateLimitError(APIError):
    """429: too many requests; ``retry_after`` is the server's wait in seconds."""

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """5xx: the server failed."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    402: PaymentRequiredError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


_MALFORMED: dict[type[APIError], type[APIError]] = {}


def error_class(status: int, *, malformed: bool = False) -> type[APIError]:
    """The APIError subclass for an HTTP status.

    With ``malformed`` (the body was not the documented JSON error, e.g. a
    proxy's HTML page), the class is also a :class:`ProtocolError`, so both
    ``except NotFoundError`` and ``except ProtocolError`` catch it.
    """
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else APIError
    if not malformed:
        return cls
    variant = _MALFORMED.get(cls)
    if variant is None:
        doc = f"{cls.__doc__} The body was not the documented JSON error."
        made = type(cls.__name__, (cls, ProtocolError), {"__doc__": doc, "__slots__": ()})
        variant = _MALFORMED[cls] = made
    return variant


class CreateTasksError(TaskadeError):
    """A batch failed part-way through :func:`~taskade_async.bulk.create_tasks`.

    ``created`` holds the tasks made before the failure (in order), so
    ``items[len(created):]`` is what is left to send, unless ``uncertain``:
    then the failed batch (``items[len(created):len(created) + batch]``) was
    sent and the answer was lost, so it may exist; look before resending it.
    """

    def __init__(self, message: str, *, created: list[Task], uncertain: bool) -> None:
        super().__init__(message)
        self.created = created
        self.uncertain = uncertain
