"""``taskade-async restore`` as a user runs it: exit statuses, dry run, kills and resumes."""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from taskade_async.export._journal import JOURNAL_DIR
from taskade_async.testing import FakeTaskade
from tests._cli import run, start
from tests.restore._world import export_source, fill_source, same_as_source, target_account


@pytest.fixture
async def big_source(tmp_path: Path) -> AsyncIterator[tuple[FakeTaskade, Path]]:
    """The source account plus a 1,500-task project, and its export."""
    async with FakeTaskade() as fake:
        fill_source(fake)
        folder = fake.folders("ws-src")[0]
        fake.add_project(folder, "Big", project_id="p-big", task_count=1500, seed=7)
        out = tmp_path / "export"
        await export_source(fake, out)
        yield fake, out


def _args(target: FakeTaskade, out: Path, folder: str, *more: str) -> tuple[str, ...]:
    return ("restore", str(out), "--folder", folder, "--base-url", str(target.base_url), *more)


def _writes(target: FakeTaskade) -> int:
    return sum(r.method != "GET" for r in target.requests)


async def test_cli_dry_run_prints_the_plan_and_sends_nothing(
    source: tuple[FakeTaskade, Path], target: FakeTaskade
) -> None:
    """--dry-run exits 0, prints projects, tasks, requests per kind and the time at --rate,
    and the target receives no request at all."""
    _, out = source
    folder = target_account(target)
    sent = len(target.requests)
    dry = await run(
        *_args(target, out, folder, "--dry-run", "--rate", "2"), TASKADE_TOKEN=target.token
    )
    assert dry.code == 0, dry.stderr
    assert "Plan: 4 project(s)" in dry.stdout
    assert "  taskCreate " in dry.stdout
    assert "At 2 requests/s: about" in dry.stdout
    assert len(target.requests) == sent
    assert not (out / JOURNAL_DIR).exists()


async def test_cli_exit_statuses(source: tuple[FakeTaskade, Path], target: FakeTaskade) -> None:
    """0 for a verified restore, 2 for a second plain run (nothing sent) and for a damaged
    export (nothing sent), with the reason on stderr."""
    src, out = source
    folder = target_account(target)
    done = await run(*_args(target, out, folder), TASKADE_TOKEN=target.token)
    assert done.code == 0, done.stderr
    assert "skipped task_field_values 1" in done.stdout
    same_as_source(src, target, folder)
    writes = _writes(target)
    again = await run(*_args(target, out, folder, "--quiet"), TASKADE_TOKEN=target.token)
    assert again.code == 2
    assert "already ran" in again.stderr
    other = target_account(target)
    data = bytearray((out / "projects.jsonl").read_bytes())
    data[data.index(b"Deep")] ^= 0x01
    (out / "projects.jsonl").write_bytes(bytes(data))
    damaged = await run(*_args(target, out, other), TASKADE_TOKEN=target.token)
    assert damaged.code == 2
    assert "the export is damaged, nothing was sent" in damaged.stderr
    assert _writes(target) == writes


async def _journal_lines(out: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in (out / JOURNAL_DIR).glob("*.jsonl"))


async def _wait_for_journal(out: Path, lines: int, limit: float = 60) -> None:
    """Wait (bounded) until the journal holds ``lines`` lines."""
    end = time.monotonic() + limit
    while await _journal_lines(out) < lines:
        assert time.monotonic() < end, "the restore made no progress"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
async def test_cli_sigterm_or_ctrl_c_keeps_the_journal_and_resume_completes(
    big_source: tuple[FakeTaskade, Path], target: FakeTaskade, signum: int, status: int
) -> None:
    """SIGTERM (143) or Ctrl-C (130) mid-restore says how to continue; --resume completes."""
    src, out = big_source
    folder = target_account(target)
    proc = await start(*_args(target, out, folder, "--quiet"), TASKADE_TOKEN=target.token)
    await _wait_for_journal(out, 30)
    proc.send_signal(signum)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == status, err.decode()
    assert "the journal is kept" in err.decode()
    resumed = await run(
        *_args(target, out, folder, "--resume", "--quiet"), TASKADE_TOKEN=target.token
    )
    assert resumed.code == 0, resumed.stderr
    same_as_source(src, target, folder)


@pytest.mark.parametrize("seed", [1, 2])
async def test_cli_killed_at_random_moments_then_resumed(
    big_source: tuple[FakeTaskade, Path], target: FakeTaskade, seed: int
) -> None:
    """SIGKILLed three times at random points of its journal, then resumed: the target
    holds exactly the source (no duplicate, none missing)."""
    src, out = big_source
    folder = target_account(target)
    rng = random.Random(seed)
    lines = 0
    for attempt in range(3):
        more = ("--resume",) if attempt else ()
        proc = await start(
            *_args(target, out, folder, "--quiet", *more), TASKADE_TOKEN=target.token
        )
        lines = await _journal_lines(out) if attempt else 0
        await _wait_for_journal(out, lines + rng.randrange(5, 60))
        proc.kill()
        await proc.wait()
    resumed = await run(
        *_args(target, out, folder, "--resume", "--quiet"), TASKADE_TOKEN=target.token
    )
    assert resumed.code == 0, resumed.stderr
    same_as_source(src, target, folder)
