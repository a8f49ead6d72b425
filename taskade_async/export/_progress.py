"""Progress of an export: a tqdm bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import asyncio
import importlib
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import IO, Any, Final

from taskade_async._closing import Closing

__all__ = ["NO_PROGRESS", "NoProgress", "Progress"]

_log = logging.getLogger("taskade_async.export")
_INTERVAL: Final = 5.0


class Progress(Closing):
    """Counts units, records and requests per phase and reports them.

    On a terminal (and with tqdm installed) a bar shows units done, records,
    requests/s and the ETA of the phase; otherwise a log line at INFO every
    ``interval`` seconds. ``requests`` returns the number of requests sent so far.
    """

    def __init__(
        self,
        requests: Callable[[], int] = lambda: 0,
        *,
        stream: IO[str] | None = None,
        bar: bool | None = None,
        interval: float = _INTERVAL,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._requests = requests
        self._interval = interval
        self._tqdm: Any = None
        if bar is None:
            bar = bool(getattr(self._stream, "isatty", lambda: False)())
        if bar:
            try:
                module = importlib.import_module("tqdm")  # optional: the cli extra
            except ImportError:
                bar = False
            else:
                self._tqdm = module.tqdm
        self._bar: Any = None
        self.phase = ""
        self.unit = "units"
        self.total: int | None = None
        self.done = 0
        self.records: Counter[str] = Counter()
        self._started = time.monotonic()
        self._phase_started = self._started
        self._phase_requests = 0
        self._ticker: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Progress:
        if self._tqdm is None:
            self._ticker = asyncio.create_task(self._tick())
        return self

    async def close(self) -> None:
        """Stop reporting (closes the bar, ends the periodic log lines)."""
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)  # ended, not left pending
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def start(self, phase: str, total: int | None = None, unit: str = "units") -> None:
        """Begin a phase of ``total`` steps (None: unknown), counted in ``unit``."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self.phase, self.total, self.done, self.unit = phase, total, 0, unit
        self._phase_started = time.monotonic()
        self._phase_requests = self._requests()
        if self._tqdm is not None:
            self._bar = self._tqdm(
                total=total, desc=phase, unit=f" {unit}", file=self._stream, dynamic_ncols=True
            )
        else:
            _log.info("%s: started%s", phase, f" ({total} {unit})" if total is not None else "")

    def advance(self, units: int = 1) -> None:
        """Count finished units."""
        self.done += units
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            self._bar.update(units)

    def record(self, kind: str) -> None:
        """Count one exported record."""
        self.records[kind] += 1

    def rate(self) -> float:
        """Requests per second in the current phase."""
        elapsed = time.monotonic() - self._phase_started
        return (self._requests() - self._phase_requests) / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        """Seconds left in the current phase, estimated from the units done so far."""
        if not self.total or not self.done:
            return None
        elapsed = time.monotonic() - self._phase_started
        return elapsed / self.done * (self.total - self.done)

    def _postfix(self) -> str:
        return f"{sum(self.records.values())} records, {self.rate():.0f} req/s"

    def line(self) -> str:
        """One line describing where the export is."""
        total = "?" if self.total is None else str(self.total)
        eta = self.eta()
        when = f", ETA {eta:.0f} s" if eta is not None else ""
        return f"{self.phase}: {self.done}/{total} {self.unit}, {self._postfix()}{when}"

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            if self.phase:
                _log.info("%s", self.line())


class NoProgress(Progress):
    """A progress that counts nothing and reports nothing (when none is wanted)."""

    def __init__(self) -> None:
        super().__init__(bar=False)

    def start(self, phase: str, total: int | None = None, unit: str = "units") -> None:
        """Nothing."""

    def advance(self, units: int = 1) -> None:
        """Nothing."""

    def record(self, kind: str) -> None:
        """Nothing."""


#: The progress of a job run without one.
NO_PROGRESS: Final = NoProgress()
