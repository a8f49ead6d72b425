"""An asyncio-native, typed client for the Taskade REST API v1."""

from . import _logging
from ._auth import (
    Auth,
    AuthorizationRequest,
    BearerToken,
    OAuth2,
    TokenSet,
    authorization_request,
)
from ._body import RawBody
from ._download import Download
from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CreateTasksError,
    ForbiddenError,
    NotFoundError,
    PaginationError,
    PaymentRequiredError,
    ProtocolError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    SessionClosedError,
    TaskadeError,
    TransportError,
    UnauthorizedError,
    ValidationError,
)
from ._pagination import CursorPager, Page, PagePager, Pager, SinglePager
from ._request import Operation
from ._retry import RetryPolicy
from ._session import DEFAULT_BASE_URL, Session, exchange_code
from ._stats import SessionStats
from ._trigger import trigger_automation
from ._validate import UNSET, Unset
from ._version import __version__

_logging.configure()  # TASKADE_LOG=debug|info|warning

__all__ = [
    "DEFAULT_BASE_URL",
    "UNSET",
    "APIError",
    "Auth",
    "AuthenticationError",
    "AuthorizationRequest",
    "BadRequestError",
    "BearerToken",
    "ConflictError",
    "CreateTasksError",
    "CursorPager",
    "Download",
    "ForbiddenError",
    "NotFoundError",
    "OAuth2",
    "Operation",
    "Page",
    "PagePager",
    "Pager",
    "PaginationError",
    "PaymentRequiredError",
    "ProtocolError",
    "RateLimitError",
    "RawBody",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "Session",
    "SessionClosedError",
    "SessionStats",
    "SinglePager",
    "TaskadeError",
    "TokenSet",
    "TransportError",
    "UnauthorizedError",
    "Unset",
    "ValidationError",
    "__version__",
    "authorization_request",
    "exchange_code",
    "trigger_automation",
]
