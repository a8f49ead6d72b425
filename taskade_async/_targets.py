"""URLs a server will call: https, except on a loopback address (for tests)."""

from __future__ import annotations

from typing import Any, Final

from yarl import URL

from ._errors import ValidationError
from ._transport import is_loopback as _is_loopback

__all__ = ["MAX_TARGET_URL", "check_target_url"]

#: The longest target URL Taskade takes, in characters once percent-encoded.
MAX_TARGET_URL: Final = 2048


def check_target_url(value: Any, where: str) -> None:
    """Refuse a ``value`` that is not an absolute https URL (http only on loopback).

    The same rule as the session's ``base_url``; a query string is allowed.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{where} must be a str, not {type(value).__name__}")
    try:
        url = URL(value)
    except (ValueError, TypeError):
        raise ValidationError(f"{where} is not a URL") from None
    if not url.is_absolute() or url.scheme not in ("http", "https"):
        raise ValidationError(f"{where} must be an absolute https URL")
    if url.scheme != "https" and not _is_loopback(url.host):
        raise ValidationError(f"{where} must use https (plain http is allowed for loopback only)")
    if len(str(url)) > MAX_TARGET_URL:
        raise ValidationError(f"{where} must be at most {MAX_TARGET_URL} characters encoded")
