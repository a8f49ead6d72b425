"""What a handler receives and may return; the registry that maps operations to handlers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import attrs
from yarl import URL

from ._state import State

__all__ = ["Binary", "Call", "Handler", "Reply", "handles"]


@attrs.define(eq=False)
class Call:
    """One request, parsed and validated: path ids, query values, body."""

    state: State
    root_url: URL  # the fake's root, for links it hands out
    args: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any = None  # the decoded JSON body, for JSON operations
    raw: bytes = b""  # the request body, for raw-body operations
    content_type: str = ""

    @property
    def api_url(self) -> URL:
        """The base URL of the API (``.../api/v1``)."""
        return self.root_url / "api" / "v1"


@attrs.frozen
class Binary:
    """A file answer: bytes with a content type and a download file name."""

    content: bytes
    content_type: str
    filename: str


Reply: TypeAlias = "dict[str, Any] | Binary"
Handler: TypeAlias = Callable[[Call], Reply]

#: operationId -> handler, filled by the ``_handlers_*`` modules at import.
HANDLERS: dict[str, Handler] = {}


def handles(operation_id: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``operation_id``."""

    def register(fn: Handler) -> Handler:
        if operation_id in HANDLERS:
            raise RuntimeError(f"two handlers for {operation_id}")
        HANDLERS[operation_id] = fn
        return fn

    return register
