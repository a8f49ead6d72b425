"""The package's public surface."""

from __future__ import annotations

import types

import taskade_async as tk

PUBLIC = {
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
    "SessionClosedError",
    "RetryPolicy",
    "ServerError",
    "Session",
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
}


def test_all_is_exactly_the_public_surface() -> None:
    """__all__ lists exactly the intended public names, each importable."""
    assert set(tk.__all__) == PUBLIC
    assert len(tk.__all__) == len(PUBLIC)
    for name in tk.__all__:
        assert hasattr(tk, name), name


def test_no_other_public_names_leak() -> None:
    """Every public attribute of the package is in __all__ (subpackages aside)."""
    extra = {
        name
        for name, value in vars(tk).items()
        if not name.startswith("_")
        and name not in PUBLIC
        and not isinstance(value, types.ModuleType)
    }
    assert extra == set()


def test_error_hierarchy() -> None:
    """Every error derives from TaskadeError, and the refined classes from their families."""
    for name in tk.__all__:
        obj = getattr(tk, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, tk.TaskadeError), name
    assert issubclass(tk.UnauthorizedError, tk.APIError)
    assert issubclass(tk.UnauthorizedError, tk.AuthenticationError)
    assert issubclass(tk.RequestTimeoutError, tk.TransportError)
    assert issubclass(tk.RequestTimeoutError, TimeoutError)
    assert issubclass(tk.ValidationError, ValueError)
    for cls in (tk.BadRequestError, tk.NotFoundError, tk.RateLimitError, tk.ServerError):
        assert issubclass(cls, tk.APIError)
