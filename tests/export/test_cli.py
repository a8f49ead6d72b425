"""The ``taskade-async export`` command, run as a subprocess against the loopback server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from taskade_async import Session
from taskade_async.export import export
from taskade_async.export._store import STATE_DIR
from tests._cli import Result, command_env, start
from tests._cli import run as _run
from tests.export._expect import expected, read_files, read_lines
from tests.export._server import TOKEN, Server

ROOT = Path(__file__).resolve().parents[2]


async def _export(server: Server, out: Path, *options: str) -> Result:
    """``export OUT --base-url SERVER OPTIONS``, the token in the environment; it exits 0."""
    result = await _run(
        "export", str(out), "--base-url", server.base_url, *options, TASKADE_TOKEN=TOKEN
    )
    assert result.code == 0, result.stderr
    return result


async def test_cli_export_exits_0_and_writes_the_files(server: Server, tmp_path: Path) -> None:
    """A full export through the command exits 0, prints a summary and never the token."""
    out = tmp_path / "out"
    result = await _export(server, out)
    assert "Exported" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    for kind, records in expected(server.account).items():
        assert read_lines(out, kind) == records, kind
    assert json.loads((out / "manifest.json").read_bytes())["errors"] == []


async def test_cli_export_reads_the_server_from_taskade_base_url(
    server: Server, tmp_path: Path
) -> None:
    """Without --base-url the command exports from $TASKADE_BASE_URL, as Session() does."""
    out = tmp_path / "out"
    result = await _run(
        "export", str(out), "--quiet", TASKADE_TOKEN=TOKEN, TASKADE_BASE_URL=server.base_url
    )
    assert result.code == 0, result.stderr
    for kind, records in expected(server.account).items():
        assert read_lines(out, kind) == records, kind


async def test_cli_exit_1_when_items_failed(server: Server, tmp_path: Path) -> None:
    """A project answering 403 makes the command exit 1 and name the project."""
    server.faults["/projects/p004"] = 403
    result = await _run(
        "export", str(tmp_path), "--base-url", server.base_url, "--token", TOKEN, "--quiet"
    )
    assert result.code == 1, result.stderr
    assert result.stdout == ""
    errors = json.loads((tmp_path / "manifest.json").read_bytes())["errors"]
    assert [(e["id"], e["status"]) for e in errors] == [("p004", 403)]


async def test_cli_usage_and_fatal_errors_exit_2(server: Server, tmp_path: Path) -> None:
    """No token, bad options, a bad token or a non-empty folder exit with status 2."""
    no_token = await _run("export", str(tmp_path / "a"), "--base-url", server.base_url)
    assert no_token.code == 2
    assert "no token" in no_token.stderr
    bad = await _run("export", str(tmp_path / "b"), "--concurrency", "0", "--token", "x")
    assert bad.code == 2
    assert "--concurrency" in bad.stderr
    mixed = await _run("export", str(tmp_path / "b"), "--demo", "--token", "x")
    assert mixed.code == 2
    assert "--demo runs its own server" in mixed.stderr
    wrong = await _run(
        "export", str(tmp_path / "c"), "--base-url", server.base_url, "--token", "tskdp_wrong"
    )
    assert wrong.code == 2
    assert "401" in wrong.stderr
    assert "tskdp_wrong" not in wrong.stderr
    assert "--resume" in wrong.stderr  # the checkpoint is kept for a later run
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x").write_text("x")
    busy = await _run(
        "export", str(tmp_path / "d"), "--base-url", server.base_url, "--token", TOKEN
    )
    assert busy.code == 2
    assert "not an empty folder" in busy.stderr


async def _wait_for_units(out: Path, proc: asyncio.subprocess.Process, count: int) -> None:
    """Wait (bounded) until the running export has checkpointed ``count`` units."""
    units = out / STATE_DIR / "units"
    deadline = time.monotonic() + 30
    while not (units.is_dir() and len(os.listdir(units)) >= count):
        assert proc.returncode is None, "the export ended before it could be interrupted"
        assert time.monotonic() < deadline, "no progress within 30 s"
        await asyncio.sleep(0.01)


async def _straight(server: Server, out: Path, *options: str) -> dict[str, bytes]:
    async with Session(TOKEN, base_url=server.base_url) as session:
        await export(session, out, details="--details" in options)
    return read_files(out)


@pytest.mark.parametrize(
    ("signum", "status", "says"),
    [
        (signal.SIGINT, 130, "--resume"),
        (signal.SIGTERM, 143, "Stopped (SIGTERM); the checkpoint is saved"),
    ],
    ids=["ctrl-c", "sigterm"],
)
async def test_cli_stopped_mid_export_keeps_the_checkpoint_and_resume_completes(
    server: Server, tmp_path: Path, signum: signal.Signals, status: int, says: str
) -> None:
    """SIGINT (130) or SIGTERM (143, a service stop) mid-export keeps the checkpoint and says
    so; --resume then gives byte-identical files."""
    straight = await _straight(server, tmp_path / "straight", "--details")
    server.delay = 0.002
    out = tmp_path / "out"
    args = ("export", str(out), "--base-url", server.base_url, "--details", "--concurrency", "2")
    proc = await start(*args, TASKADE_TOKEN=TOKEN)
    await _wait_for_units(out, proc, 3)
    proc.send_signal(signum)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == status, err.decode()
    assert says in err.decode()
    assert "--resume" in err.decode()
    assert (out / STATE_DIR).is_dir()
    assert not (out / "manifest.json").exists()
    server.delay = 0
    resumed = await _run(*args, "--resume", TASKADE_TOKEN=TOKEN)
    assert resumed.code == 0, resumed.stderr
    assert read_files(out) == straight
    assert json.loads((out / "manifest.json").read_bytes())["runs"] == 2


async def test_cli_killed_then_resumed_gives_identical_files(
    server: Server, tmp_path: Path
) -> None:
    """SIGKILL at a random point, then --resume, ends with byte-identical files."""
    straight = await _straight(server, tmp_path / "straight", "--details")
    server.delay = 0.002
    out = tmp_path / "out"
    args = ("export", str(out), "--base-url", server.base_url, "--details", "--concurrency", "3")
    for units in (2, 9):
        proc = await start(*args, *(("--resume",) if units != 2 else ()), TASKADE_TOKEN=TOKEN)
        await _wait_for_units(out, proc, units)
        proc.kill()
        await proc.communicate()
        assert proc.returncode == -signal.SIGKILL
    server.delay = 0
    resumed = await _run(*args, "--resume", TASKADE_TOKEN=TOKEN)
    assert resumed.code == 0, resumed.stderr
    assert read_files(out) == straight


async def test_cli_concurrency_caps_requests_in_flight(server: Server, tmp_path: Path) -> None:
    """--concurrency 3 keeps at most 3 requests in flight (and does use parallelism)."""
    server.delay = 0.005
    await _export(server, tmp_path, "--details", "--concurrency", "3")
    assert server.max_in_flight == 3


async def test_cli_rate_paces_requests(server: Server, tmp_path: Path) -> None:
    """--rate 40 spaces the requests at 40 per second or fewer."""
    await _export(server, tmp_path, "--project", "shared1", "--rate", "40")
    times = server.arrivals
    assert len(times) > 10
    assert times[-1] - times[0] >= (len(times) - 1) / 40 * 0.9


async def test_cli_verbose_logs_requests_but_never_the_token(
    server: Server, tmp_path: Path
) -> None:
    """--verbose logs every request; the token appears nowhere in the output."""
    result = await _export(server, tmp_path, "--project", "shared1", "--verbose")
    assert "GET /api/v1/projects/shared1/tasks -> 200" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert "tskdp_" not in result.stdout + result.stderr


def _snapshot(out: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``out``: its modification time (ns) and bytes."""
    return {
        str(p.relative_to(out)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


async def test_cli_resume_starts_then_finds_the_export_complete(
    server: Server, tmp_path: Path
) -> None:
    """--resume on an absent folder exports it all; run again, it exits 0 and rewrites nothing."""
    out = tmp_path / "backup"
    args = ("export", str(out), "--base-url", server.base_url, "--resume")
    first = await _run(*args, TASKADE_TOKEN=TOKEN)
    assert first.code == 0, first.stderr
    for kind, records in expected(server.account).items():
        assert read_lines(out, kind) == records, kind
    before, sent = _snapshot(out), sum(server.hits.values())
    again = await _run(*args, TASKADE_TOKEN=TOKEN)
    assert again.code == 0, again.stderr
    assert "Nothing to do" in again.stdout
    assert "no file was rewritten" in again.stdout
    assert _snapshot(out) == before
    assert sum(server.hits.values()) == sent
    (tmp_path / "empty").mkdir()
    empty = await _run("export", str(tmp_path / "empty"), *args[2:], "--quiet", TASKADE_TOKEN=TOKEN)
    assert empty.code == 0, empty.stderr
    assert read_files(tmp_path / "empty") == read_files(out)


async def test_cli_full_disk_says_so_and_resume_completes(server: Server, tmp_path: Path) -> None:
    """On a disk that fills mid-export the command names the full disk and --resume, exits 2;
    once space is freed, --resume ends with byte-identical files."""
    straight = await _straight(server, tmp_path / "straight", "--details")
    out = tmp_path / "out"
    args = ("export", str(out), "--base-url", server.base_url, "--details", "--quiet")
    size = sum(len(data) for data in straight.values())  # the staged units fill it up
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.export._small_disk",
        str(size),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=command_env(TASKADE_TOKEN=TOKEN),
        cwd=ROOT,
    )
    _, raw = await asyncio.wait_for(proc.communicate(), timeout=60)
    err = raw.decode()
    assert proc.returncode == 2, err
    assert "taskade-async export: error: the disk is full (writing " in err
    assert "free some space" in err
    assert "The checkpoint is kept. To continue, run the same command again with --resume." in err
    assert "Errno" not in err
    resumed = await _run(*args, "--resume", TASKADE_TOKEN=TOKEN)
    assert resumed.code == 0, resumed.stderr
    assert read_files(out) == straight


async def test_cli_resume_refuses_another_server(server: Server, tmp_path: Path) -> None:
    """--resume against another --base-url than the checkpoint's exits 2 naming both servers."""
    out = tmp_path / "out"
    server.delay = 0.002
    async with Session(TOKEN, base_url=server.base_url) as session:
        await _cancel_after_discovery(out, asyncio.ensure_future(export(session, out)))
    other = "http://127.0.0.1:9/api/v1"
    result = await _run("export", str(out), "--base-url", other, "--resume", TASKADE_TOKEN=TOKEN)
    assert result.code == 2, result.stderr
    assert f"the interrupted export read {server.base_url}, this run reads {other}" in result.stderr
    assert f"--base-url {server.base_url}" in result.stderr
    assert "{" not in result.stderr


async def _cancel_after_discovery(out: Path, task: asyncio.Future[object]) -> None:
    """Cancel the export ``task`` once its discovery unit is checkpointed (bounded wait)."""
    discovery = out / STATE_DIR / "units" / "discovery.jsonl"
    deadline = time.monotonic() + 30
    while not discovery.is_file():
        assert not task.done(), "the export ended before it could be interrupted"
        assert time.monotonic() < deadline, "no discovery within 30 s"
        await asyncio.sleep(0.001)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_cli_bad_ids_are_usage_errors(server: Server, tmp_path: Path) -> None:
    """A blank id or one with a control character exits 2 naming the flag, before any request."""
    for flag, value in (("--project", " "), ("--workspace", "ws\x1b1"), ("--folder", "a\tb")):
        result = await _run("export", str(tmp_path), flag, value, TASKADE_TOKEN=TOKEN)
        assert result.code == 2
        assert f"argument {flag}" in result.stderr
    assert sum(server.hits.values()) == 0
