"""events.verify and events.sign: HMAC-SHA256 over the raw bytes, several secrets in rotation."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from taskade_async import ValidationError, events

BODY = b'{"projectId":"p1","creatorName":"Ann"}'


def test_sign_is_the_documented_hmac() -> None:
    """sign() gives sha256= and the lowercase hex HMAC-SHA256 of the raw body."""
    expected = hmac.new(b"s3cret", BODY, hashlib.sha256).hexdigest()
    assert events.sign("s3cret", BODY) == f"sha256={expected}"
    assert events.sign(b"s3cret", BODY) == f"sha256={expected}"


def test_verify_accepts_its_own_signature_and_rejects_others() -> None:
    """A signature verifies only for the same secret and the very same bytes."""
    header = events.sign("s3cret", BODY)
    assert events.verify("s3cret", BODY, header)
    assert not events.verify("other", BODY, header)
    assert not events.verify("s3cret", BODY + b" ", header)
    # The same JSON, serialized differently, is other bytes: never re-serialize.
    assert not events.verify("s3cret", BODY.replace(b",", b", "), header)


def test_any_secret_of_a_rotation_verifies() -> None:
    """During a rotation, a list of secrets accepts a signature made with any of them."""
    rotation: list[str | bytes] = ["new-secret", b"old-secret"]
    assert events.verify(rotation, BODY, events.sign("old-secret", BODY))
    assert events.verify(rotation, BODY, events.sign("new-secret", BODY))
    assert not events.verify(rotation, BODY, events.sign("retired", BODY))


def test_every_secret_is_compared_with_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each secret of the list is compared with hmac.compare_digest, even after a match."""
    calls: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert events.verify(["a", "b", "c"], BODY, events.sign("a", BODY))
    assert len(calls) == 3


def test_uppercase_hex_and_spaces_are_accepted() -> None:
    """The hex may be uppercase and the value padded with spaces (the digest is the same)."""
    header = events.sign("s3cret", BODY)
    assert events.verify("s3cret", BODY, "  sha256=" + header[7:].upper() + " ")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=0123",
        "md5=" + "0" * 64,
        "sha256=" + "z" * 64,
        "sha256=" + "0" * 63,
        "sha256=" + "0" * 65,
        "sha256=" + "é" * 64,
        "sha256=ab cd" + "0" * 60,
        "t=1,v1=" + "0" * 64,
    ],
)
def test_garbage_headers_are_false_never_an_error(header: str | None) -> None:
    """A missing, malformed or other-scheme header gives False without raising."""
    assert events.verify("s3cret", BODY, header) is False


def test_other_scheme_with_right_digest_is_rejected() -> None:
    """Only the sha256= scheme is accepted, even with the right digest."""
    digest = events.sign("s3cret", BODY)[7:]
    assert not events.verify("s3cret", BODY, f"sha512={digest}")
    assert not events.verify("s3cret", BODY, digest)


@pytest.mark.parametrize("secret", ["", b"", [], ["ok", ""], [None]])
def test_no_usable_secret_is_a_validation_error(secret: object) -> None:
    """An empty secret (or list) is a configuration error, not a silent False."""
    with pytest.raises(ValidationError):
        events.verify(secret, BODY, "sha256=" + "0" * 64)  # type: ignore[arg-type]


def test_a_str_body_is_refused() -> None:
    """Only raw bytes verify: a str body raises ValidationError instead of being re-encoded."""
    with pytest.raises(ValidationError):
        events.verify("s3cret", BODY.decode(), events.sign("s3cret", BODY))  # type: ignore[arg-type]
