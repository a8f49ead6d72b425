"""The one https rule for every URL the client or a server will call.

Base URLs, webhook target URLs and automation URLs: https, except plain http
on a loopback address (for tests). Pure code; no I/O.
"""

from __future__ import annotations

from typing import Any, Final

from yarl import URL

from ._errors import ValidationError

__all__ = ["MAX_TARGET_URL", "check_base_url", "check_target_url", "https_url", "is_loopback"]

#: The longest target URL Taskade takes, in characters once percent-encoded.
MAX_TARGET_URL: Final = 2048


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``[::1]``)."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        import ipaddress  # rare path: keeps `import taskade_async` fast

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def https_problem(url: URL) -> str | None:
    """Why ``url`` may not be called (not absolute http(s), or http off loopback), or None."""
    if not url.is_absolute() or url.scheme not in ("http", "https"):
        return "must be an absolute https URL"
    if url.scheme != "https" and not is_loopback(url.host):
        return "must use https (plain http is allowed for loopback only)"
    return None


def https_url(value: Any, what: str, shown: str | None = None) -> URL:
    """``value`` parsed as a URL that passes the https rule, or ValidationError.

    ``shown`` is how errors name the value (None: they do not, as for a secret).
    """
    try:
        url = URL(str(value))
    except (ValueError, TypeError):
        raise ValidationError(f"{what} is not a URL") from None
    problem = https_problem(url)
    if problem is not None:
        raise ValidationError(f"{what} {problem}" + (f": {shown}" if shown is not None else ""))
    return url


def check_base_url(base_url: URL | str, what: str = "base_url") -> URL:
    """``base_url`` as an absolute https URL (http for loopback), or ValidationError."""
    url = https_url(base_url, what, str(base_url))
    if url.query_string or url.fragment:
        raise ValidationError(f"{what} must not have a query or fragment")
    return url.with_path(url.path.rstrip("/"))


def check_target_url(value: Any, where: str) -> None:
    """Refuse a ``value`` that is not an absolute https URL (http only on loopback).

    The same rule as the session's ``base_url``; a query string is allowed.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{where} must be a str, not {type(value).__name__}")
    url = https_url(value, where)
    if len(str(url)) > MAX_TARGET_URL:
        raise ValidationError(f"{where} must be at most {MAX_TARGET_URL} characters encoded")
