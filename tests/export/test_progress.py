"""Progress reporting: a tqdm bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from taskade_async import Session
from taskade_async.export import Progress, export


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _FakeBar:
    """Stands in for tqdm.tqdm and records what the progress reporter asks of it."""

    made: list[_FakeBar] = []  # noqa: RUF012 - a registry shared by the test on purpose

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.updates = 0
        self.postfix = ""
        self.closed = False
        _FakeBar.made.append(self)

    def update(self, n: int) -> None:
        self.updates += n

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def close(self) -> None:
        self.closed = True


async def test_plain_log_lines_when_not_a_terminal(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without a terminal, progress is logged as plain lines with units, records and rate."""
    caplog.set_level(logging.INFO, logger="taskade_async.export")
    requests = lambda: session.stats.requests  # noqa: E731 - a one-line callback
    async with Progress(requests, stream=io.StringIO(), interval=0.01) as p:
        await export(session, tmp_path, progress=p)
        line = p.line()
    assert line.startswith("compaction: 9/9 files")
    messages = [r.getMessage() for r in caplog.records]
    assert "discovery: started (1 steps)" in messages
    assert "export: started (21 units)" in messages
    assert any(m.startswith("export: ") and "records" in m and "req/s" in m for m in messages)
    assert sum(p.records.values()) > 0


async def test_bar_falls_back_to_lines_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal but without tqdm installed, the reporter uses log lines."""
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes "import tqdm" fail
    async with Progress(stream=_Tty()) as progress:
        progress.start("export", 2)
        progress.advance()
        assert progress.line().startswith("export: 1/2 units, 0 records")


async def test_bar_on_a_terminal_with_tqdm(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal with tqdm, each phase gets a bar with units, records and req/s."""
    module = types.ModuleType("tqdm")
    module.tqdm = _FakeBar  # type: ignore[attr-defined] # a module built at run time
    monkeypatch.setitem(sys.modules, "tqdm", module)
    _FakeBar.made.clear()
    async with Progress(lambda: session.stats.requests, stream=_Tty()) as p:
        await export(session, tmp_path, progress=p)
    descs = [bar.kwargs["desc"] for bar in _FakeBar.made]
    assert descs == ["discovery", "export", "compaction"]
    units = _FakeBar.made[1]
    assert (units.kwargs["total"], units.updates) == (21, 21)
    assert "records" in units.postfix
    assert "req/s" in units.postfix
    assert all(bar.closed for bar in _FakeBar.made)


async def test_leaving_the_block_ends_the_log_ticker() -> None:
    """When the ``async with`` block ends, the periodic log task has ended (not just cancelled)."""
    before = asyncio.all_tasks()
    async with Progress(stream=io.StringIO(), interval=0.01):
        assert len(asyncio.all_tasks() - before) == 1  # the ticker
    assert asyncio.all_tasks() - before == set()
