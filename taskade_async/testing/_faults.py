"""Faults a test can inject: each answers the next N requests that match it."""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Iterator
from datetime import datetime

import attrs

__all__ = ["Fault", "FaultKind", "FaultQueue"]


class FaultKind(enum.Enum):
    """What a fault does to a matching request."""

    STATUS = "status"  # answer an error status in the documented shape
    RESET = "reset"  # close the connection before any response
    RESET_MID_BODY = "reset_mid_body"  # headers + part of the body, then abort
    DELAY = "delay"  # wait, then answer normally
    HTML = "html"  # an HTML error page, as a proxy would send
    TRUNCATED_JSON = "truncated_json"  # a 200 with a cut-off JSON body


@attrs.define(eq=False)
class Fault:
    """One injected fault; ``remaining`` counts the requests it still applies to."""

    kind: FaultKind
    method: str = "*"
    path: str = "*"
    remaining: int = 1
    status: int = 503
    retry_after: float | datetime | None = None
    message: str | None = None
    seconds: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        """True if ``method`` and the decoded ``path`` (from the root: /api/v1/...) match."""
        return (self.method == "*" or self.method == method) and fnmatch.fnmatchcase(
            path, self.path
        )


class FaultQueue:
    """The active faults, first added first tried."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Activate ``fault``."""
        if fault.remaining < 1:
            raise ValueError("a fault must apply to at least one request")
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, counted as used, or None."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                fault.hits += 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)
