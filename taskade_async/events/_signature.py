"""Signatures of Taskade's deliveries: ``X-Taskade-Signature: sha256=<hex HMAC>``."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import Final, TypeAlias

from taskade_async._errors import ValidationError

__all__ = ["SIGNATURE_HEADER", "Secret", "secrets_of", "sign", "verify"]

#: The header that carries a delivery's signature.
SIGNATURE_HEADER: Final = "X-Taskade-Signature"
#: One signing secret, or several while a secret is being rotated.
Secret: TypeAlias = str | bytes | Sequence[str | bytes]
_HEADER: Final = re.compile(r"\s*sha256=([0-9a-f]{64})\s*", re.ASCII | re.IGNORECASE)


def secrets_of(secret: Secret) -> tuple[bytes, ...]:
    """The signing keys of ``secret`` as bytes (raises ValidationError if there are none)."""
    items = (secret,) if isinstance(secret, str | bytes) else tuple(secret)
    keys: list[bytes] = []
    for item in items:
        if isinstance(item, str):
            item = item.encode()
        if not isinstance(item, bytes):
            raise ValidationError("a webhook secret must be a str or bytes")
        if not item:
            raise ValidationError("a webhook secret must not be empty")
        keys.append(item)
    if not keys:
        raise ValidationError("no webhook secret given")
    return tuple(keys)


def _hex(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _raw(body: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(body, bytes | bytearray | memoryview):
        # A str would have to be re-encoded: only the bytes Taskade sent verify.
        raise ValidationError("the body must be the raw bytes received, not a str")
    return bytes(body)


def sign(secret: str | bytes, body: bytes | bytearray | memoryview) -> str:
    """The ``X-Taskade-Signature`` value Taskade would send for ``body`` (for tests)."""
    (key,) = secrets_of(secret)
    return f"sha256={_hex(key, _raw(body))}"


def verify(
    secret: Secret, body: bytes | bytearray | memoryview, signature_header: str | None
) -> bool:
    """Whether ``signature_header`` is a valid signature of the raw ``body``.

    ``secret`` may be a list (during a rotation): any one of them may have
    signed it. Compared in constant time. The header must be
    ``sha256=<64 hex digits>`` (hex in either case, surrounding spaces
    ignored); anything else, or no header, is simply False.
    """
    keys = secrets_of(secret)
    raw = _raw(body)
    if not isinstance(signature_header, str):
        return False
    found = _HEADER.fullmatch(signature_header)
    if found is None:
        return False
    given = found.group(1).lower()
    ok = False
    for key in keys:  # every key is tried: the time does not depend on which one matches
        ok |= hmac.compare_digest(_hex(key, raw), given)
    return ok
