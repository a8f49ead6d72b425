"""Faults a test can inject: each answers the next N requests that match it.

Or, for soak tests, :class:`RandomFaults`: every request draws a fault (or
none) at given rates from a seeded generator.
"""

from __future__ import annotations

import enum
import fnmatch
import random
from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import attrs

__all__ = ["Fault", "FaultKind", "FaultQueue", "RandomFaults"]


class FaultKind(enum.Enum):
    """What a fault does to a matching request."""

    STATUS = "status"  # answer an error status in the documented shape
    RESET = "reset"  # close the connection before any response
    RESET_AFTER = "reset_after"  # carry out the request, then close before any response
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
        return _matches(self.method, self.path, method, path)


def _matches(method_glob: str, path_glob: str, method: str, path: str) -> bool:
    return (method_glob in ("*", method)) and fnmatch.fnmatchcase(path, path_glob)


@attrs.define(eq=False)
class RandomFaults:
    """Faults drawn at random, per matching request, at these rates (0 to 1 each).

    ``reset_after``: the request is carried out, then the connection drops
    before any answer (a lost answer). ``reset_mid_body``: carried out, half
    the answer sent. ``unavailable``: 503 before acting. ``rate_limited``: 429
    with ``Retry-After: retry_after`` before acting. ``slow``: answered after
    ``slow_seconds``. ``drawn`` counts the faults dealt, by kind name.
    """

    seed: int = 0
    reset_after: float = 0.0
    reset_mid_body: float = 0.0
    unavailable: float = 0.0
    rate_limited: float = 0.0
    retry_after: float = 1.0
    slow: float = 0.0
    slow_seconds: float = 0.05
    method: str = "*"
    path: str = "*"
    drawn: Counter[str] = attrs.field(factory=Counter, init=False)
    _rng: random.Random = attrs.field(init=False, repr=False)
    _table: list[tuple[float, Fault, str]] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        kinds = [
            (self.reset_after, Fault(FaultKind.RESET_AFTER)),
            (self.reset_mid_body, Fault(FaultKind.RESET_MID_BODY)),
            (self.unavailable, Fault(FaultKind.STATUS, status=503, message="random fault")),
            (
                self.rate_limited,
                Fault(
                    FaultKind.STATUS,
                    status=429,
                    retry_after=self.retry_after,
                    message="rate limit exceeded (random fault)",
                ),
            ),
            (self.slow, Fault(FaultKind.DELAY, seconds=self.slow_seconds)),
        ]
        total = 0.0
        self._table = []
        for rate, fault in kinds:
            if not 0.0 <= rate <= 1.0:
                raise ValueError("fault rates are between 0 and 1")
            if rate:
                total += rate
                name = fault.kind.value
                if fault.kind is FaultKind.STATUS:
                    name = f"{name} {fault.status}"
                self._table.append((total, fault, name))
        if total > 1.0:
            raise ValueError("fault rates add up to more than 1")

    def draw(self, method: str, path: str) -> Fault | None:
        """A fault for this request, or None (most of the time)."""
        if not self._table or not _matches(self.method, self.path, method, path):
            return None
        roll = self._rng.random()
        for bound, fault, name in self._table:
            if roll < bound:
                self.drawn[name] += 1
                return fault
        return None


class FaultQueue:
    """The active faults, first added first tried; then the random faults, if any."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self.random: RandomFaults | None = None

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
        chance = self.random
        return None if chance is None else chance.draw(method, path)

    def clear(self) -> None:
        """Drop every pending fault, and the random faults."""
        self._faults.clear()
        self.random = None

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)
