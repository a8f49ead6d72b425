"""The error a handler raises to answer with the API's documented error shape."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import TypeVar

__all__ = ["ApiProblem", "NotFound", "lookup", "not_found"]

R = TypeVar("R")


class ApiProblem(Exception):
    """Answer ``status`` with ``{"ok": false, "message", "code", "statusMessage"}``."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers: Mapping[str, str] = headers or {}
        self.message = message
        phrase = HTTPStatus(status).phrase
        self.code = code or phrase.upper().replace(" ", "_").replace("-", "_")
        self.status_message = phrase

    def body(self) -> dict[str, object]:
        """The documented ``Error`` object."""
        return {
            "ok": False,
            "message": self.message,
            "code": self.code,
            "statusMessage": self.status_message,
        }


class NotFound(ApiProblem, KeyError):
    """A 404 for an unknown id; also a KeyError for callers of the Python builders."""

    def __str__(self) -> str:
        return self.message


def not_found(kind: str, ident: str) -> NotFound:
    """A 404 for an unknown id of the given kind."""
    return NotFound(404, f"{kind} {ident!r} not found")


def lookup(table: Mapping[str, R], kind: str, ident: str) -> R:
    """The record ``table`` holds for ``ident``, or a 404 for an unknown id of ``kind``."""
    record = table.get(ident)
    if record is None:
        raise not_found(kind, ident)
    return record
