"""What a session has done: plain-int counters inside, a frozen snapshot outside."""

from __future__ import annotations

import attrs

__all__ = ["SessionStats"]


@attrs.frozen(slots=True)
class SessionStats:
    """A snapshot of a session's counters (``Session.stats``)."""

    #: Requests the servers received: every attempt, and every redirect hop.
    requests: int = 0
    #: Attempts made again after a failure (a renewal after a 401 is not counted).
    retries: int = 0
    #: 429 answers seen.
    rate_limited: int = 0


class Counts:
    """The live counters behind :class:`SessionStats` (plain ints, bumped in place)."""

    __slots__ = ("rate_limited", "requests", "retries")

    def __init__(self) -> None:
        self.requests = 0
        self.retries = 0
        self.rate_limited = 0

    def snapshot(self) -> SessionStats:
        """The counters as they are now."""
        return SessionStats(self.requests, self.retries, self.rate_limited)
