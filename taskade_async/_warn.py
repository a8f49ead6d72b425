"""WARNING lines for retries, slow-downs and holds, rate-limited so a storm is a few lines.

:class:`WarnGate` is pure (the clock passed in): it lets one line per kind
through every ``every`` seconds and counts the lines it held back, which the
next line that passes reports.
"""

from __future__ import annotations

import logging
from typing import Final

__all__ = ["WarnGate", "warn"]

_log: Final = logging.getLogger("taskade_async")
#: At most one WARNING line per kind in this many seconds.
EVERY: Final = 5.0


class WarnGate:
    """Which WARNING lines go out: one per kind per ``every`` seconds."""

    __slots__ = ("_every", "_held", "_next")

    def __init__(self, every: float = EVERY) -> None:
        self._every = every
        self._next: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def allow(self, kind: str, now: float) -> int | None:
        """None to hold this line back; else how many of ``kind`` were held back since."""
        if now < self._next.get(kind, -1.0):
            self._held[kind] = self._held.get(kind, 0) + 1
            return None
        self._next[kind] = now + self._every
        return self._held.pop(kind, 0)


def warn(gate: WarnGate, kind: str, now: float, message: str, *args: object) -> None:
    """Log ``message % args`` at WARNING unless ``gate`` holds it back (never a URL or token)."""
    if not _log.isEnabledFor(logging.WARNING):
        return
    held = gate.allow(kind, now)
    if held is None:
        return
    if held:
        _log.warning(message + " (%d more like it not shown)", *args, held)
    else:
        _log.warning(message, *args)
