"""Units of work: running them, selections and the plan's round trip."""

from __future__ import annotations

import asyncio

import pytest

from taskade_async.export._units import Selection, Unit, run_units


def _unit(n: int) -> Unit:
    return Unit(f"u{n:06d}", "project", f"p{n}", {"workspaceId": "w", "folderId": None})


async def test_run_units_caps_workers_and_runs_each_once() -> None:
    """Every unit runs exactly once, never more than ``workers`` at a time."""
    running = peak = 0
    done: list[str] = []
    gate = asyncio.Event()

    async def run(unit: Unit) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 3:
            gate.set()
        await gate.wait()
        running -= 1
        done.append(unit.key)

    units = [_unit(n) for n in range(10)]
    await run_units(units, 3, run)
    assert sorted(done) == [u.key for u in units]
    assert peak == 3


async def test_run_units_raises_the_failure_itself() -> None:
    """A unit's OSError reaches the caller as OSError, not wrapped in a task group."""

    async def run(unit: Unit) -> None:
        if unit.id == "p2":
            raise OSError("disk full")
        await asyncio.sleep(0)

    with pytest.raises(OSError, match="disk full"):
        await run_units([_unit(n) for n in range(5)], 2, run)


async def test_run_units_with_no_units_does_nothing() -> None:
    """An empty plan runs nothing and returns."""
    calls: list[Unit] = []

    async def run(unit: Unit) -> None:
        calls.append(unit)

    await run_units([], 4, run)
    assert calls == []


def test_unit_round_trips_and_rejects_unknown_kinds() -> None:
    """A unit survives the plan's JSON; an unknown kind is refused."""
    unit = _unit(7)
    assert Unit.from_json(unit.as_json()) == unit
    with pytest.raises(ValueError, match="unknown unit kind"):
        Unit.from_json({**unit.as_json(), "kind": "task"})


def test_selection_rules() -> None:
    """Empty filters select everything; a workspace or folder filter narrows the walk."""
    everything = Selection.of()
    assert everything.workspace("w")
    assert everything.folder("f")
    assert everything.project("p")
    assert not everything.narrowed
    some = Selection.of(workspaces=["w1"], projects=["p1", "p0"])
    assert some.workspace("w1")
    assert not some.workspace("w2")
    assert some.project("p0")
    assert not some.project("p9")
    assert some.narrowed
    assert some.as_json() == {"workspaces": ["w1"], "folders": [], "projects": ["p0", "p1"]}
