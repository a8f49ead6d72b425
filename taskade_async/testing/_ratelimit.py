"""A per-token token bucket, as the API limits each token's requests."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Final

__all__ = ["RateLimiter"]

_NO_HEADERS: Final[Mapping[str, str]] = {}


class RateLimiter:
    """``rate`` requests per second on average, bursts of up to ``burst``, per key.

    Each key (a token) has its own bucket of ``burst`` tokens, refilled at
    ``rate`` per second; a request takes one, and a refused request takes none.
    A refusal carries ``Retry-After`` in whole seconds (rounded up, as HTTP
    allows no fractions), or no ``Retry-After`` at all with ``retry_after=False``.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        retry_after: bool = True,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.retry_after = retry_after
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self.admitted = 0
        self.rejected = 0

    def acquire(self, key: str) -> float | None:
        """Take one token for ``key``: None if allowed, else seconds until one is free."""
        now = self._clock()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            self.admitted += 1
            return None
        self._buckets[key] = (tokens, now)
        self.rejected += 1
        return (1.0 - tokens) / self.rate

    def check(self, key: str) -> Mapping[str, str] | None:
        """None if ``key`` may go now, else the headers of its 429 (``Retry-After`` or none)."""
        wait = self.acquire(key)
        if wait is None:
            return None
        if not self.retry_after:
            return _NO_HEADERS
        return {"Retry-After": str(max(1, math.ceil(wait)))}
