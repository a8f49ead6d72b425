"""When the next request may leave: the pace's spacing and the in-flight window.

Two small pure records, the clock passed in; :mod:`._throttle` waits and
wakes on them. Only the head of the queue is ever timed, at the pace of the
moment it asks: no send times are booked ahead, so after a cut no request
leaves at the old pace.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["Spacing", "Window"]

#: Requests in flight at first, growing by one per answer up to the cap (slow start).
START_WINDOW: Final = 2


class Spacing:
    """Requests ``1/rate`` apart, up to ``burst`` at once after a quiet spell (GCRA)."""

    __slots__ = ("_tat",)

    def __init__(self) -> None:
        self._tat = -math.inf  # when the next request is due at the pace it last left at

    def wait(self, now: float, rate: float | None, burst: int) -> float:
        """Seconds from ``now`` until the next request may leave at ``rate``."""
        if rate is None:
            return 0.0
        return max(0.0, self._tat - (burst - 1) / rate - now)

    def depart(self, now: float, rate: float | None) -> None:
        """A request leaves at ``now``: the next is due one slot of ``rate`` later."""
        if rate is not None:
            self._tat = max(self._tat, now) + 1.0 / rate


class Window:
    """How many requests may await an answer: from two, one more per answer, up to ``limit``."""

    __slots__ = ("active", "limit", "size")

    def __init__(self, limit: int | None) -> None:
        self.limit = limit if limit is not None else 1 << 30
        self.size = min(self.limit, START_WINDOW)
        self.active = 0  # requests let go and not yet answered

    def full(self) -> bool:
        """Whether no more request may go until one is answered (or the window widens)."""
        return self.active >= self.size

    def answered(self) -> None:
        """An answer came: one more may be in flight (slow start), up to the limit."""
        if self.size < self.limit:
            self.size += 1

    def widen(self) -> None:
        """Full for a while with requests waiting (slow calls): one more place."""
        if self.active >= self.size:
            self.size = min(self.limit, self.size + 1)
