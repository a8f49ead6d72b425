"""The ``taskade-async export`` command, run as a subprocess against the loopback server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

import attrs

from taskade_async import Session
from taskade_async.export import export
from taskade_async.export._store import STATE_DIR
from tests.export._expect import expected, read_files, read_lines
from tests.export._server import TOKEN, Server

ROOT = Path(__file__).resolve().parents[2]


@attrs.frozen
class Result:
    """What a finished command did."""

    code: int
    stdout: str
    stderr: str


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TASKADE_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


async def _start(*args: str, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "taskade_async",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=_env(**env),
        cwd=ROOT,
    )


async def _run(*args: str, **env: str) -> Result:
    proc = await _start(*args, **env)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


async def test_cli_export_exits_0_and_writes_the_files(server: Server, tmp_path: Path) -> None:
    """A full export through the command exits 0, prints a summary and never the token."""
    out = tmp_path / "out"
    result = await _run("export", str(out), "--base-url", server.base_url, TASKADE_TOKEN=TOKEN)
    assert result.code == 0, result.stderr
    assert "Exported" in result.stdout
    assert TOKEN not in result.stdout + result.stderr
    for kind, records in expected(server.account).items():
        assert read_lines(out, kind) == records, kind
    assert json.loads((out / "manifest.json").read_bytes())["errors"] == []


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


async def test_cli_ctrl_c_exits_130_and_resume_completes(server: Server, tmp_path: Path) -> None:
    """SIGINT mid-export exits 130 with the checkpoint kept; --resume gives identical files."""
    straight = await _straight(server, tmp_path / "straight", "--details")
    server.delay = 0.002
    out = tmp_path / "out"
    args = ("export", str(out), "--base-url", server.base_url, "--details", "--concurrency", "2")
    proc = await _start(*args, TASKADE_TOKEN=TOKEN)
    await _wait_for_units(out, proc, 3)
    proc.send_signal(signal.SIGINT)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 130, err.decode()
    assert "--resume" in err.decode()
    assert (out / STATE_DIR).is_dir()
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
        proc = await _start(*args, *(("--resume",) if units != 2 else ()), TASKADE_TOKEN=TOKEN)
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
    result = await _run(
        "export",
        str(tmp_path),
        "--base-url",
        server.base_url,
        "--details",
        "--concurrency",
        "3",
        TASKADE_TOKEN=TOKEN,
    )
    assert result.code == 0, result.stderr
    assert server.max_in_flight == 3


async def test_cli_rate_paces_requests(server: Server, tmp_path: Path) -> None:
    """--rate 40 spaces the requests at 40 per second or fewer."""
    result = await _run(
        "export",
        str(tmp_path),
        "--base-url",
        server.base_url,
        "--project",
        "shared1",
        "--rate",
        "40",
        TASKADE_TOKEN=TOKEN,
    )
    assert result.code == 0, result.stderr
    times = server.arrivals
    assert len(times) > 10
    assert times[-1] - times[0] >= (len(times) - 1) / 40 * 0.9


async def test_cli_verbose_logs_requests_but_never_the_token(
    server: Server, tmp_path: Path
) -> None:
    """--verbose logs every request; the token appears nowhere in the output."""
    result = await _run(
        "export",
        str(tmp_path),
        "--base-url",
        server.base_url,
        "--project",
        "shared1",
        "--verbose",
        TASKADE_TOKEN=TOKEN,
    )
    assert result.code == 0, result.stderr
    assert "GET /api/v1/projects/shared1/tasks -> 200" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert "tskdp_" not in result.stdout + result.stderr
