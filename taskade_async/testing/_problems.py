"""The error a handler raises to answer with the API's documented error shape."""

from __future__ import annotations

from http import HTTPStatus

__all__ = ["ApiProblem", "not_found"]


class ApiProblem(Exception):
    """Answer ``status`` with ``{"ok": false, "message", "code", "statusMessage"}``."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
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


def not_found(kind: str, ident: str) -> ApiProblem:
    """A 404 for an unknown id of the given kind."""
    return ApiProblem(404, f"{kind} {ident!r} not found")
