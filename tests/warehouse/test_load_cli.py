"""``taskade-async load`` as a user runs it: a child process, a DuckDB file in its folder."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from taskade_async.api import projects
from taskade_async.testing import FakeTaskade
from taskade_async.testing._faults import Fault, FaultKind
from tests._cli import Result, command_env
from tests.warehouse._account import by_id, tables

DATASET = "taskade_data"


def _round(state: Path) -> dict[str, Any]:
    """The round in a pipeline's local state ({} if none yet)."""
    if not state.is_file():
        return {}
    mine = json.loads(state.read_bytes()).get("sources", {}).get("taskade", {}).get("all", {})
    found: dict[str, Any] = mine.get("round") or {}
    return found


async def _start(folder: Path, fake: FakeTaskade, *args: str) -> asyncio.subprocess.Process:
    """``taskade-async load --base-url FAKE ARGS`` in ``folder``, the token in the environment."""
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "taskade_async",
        "load",
        "--base-url",
        str(fake.base_url),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=folder,
        env=command_env(
            TASKADE_TOKEN=fake.token,
            DLT_DATA_DIR=str(folder / "dlt"),
            RUNTIME__DLTHUB_TELEMETRY="false",
        ),
    )


async def _load(folder: Path, fake: FakeTaskade, *args: str) -> Result:
    proc = await _start(folder, fake, *args)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


async def test_load_writes_taskade_duckdb_here_and_prints_its_path(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """With no setup the command writes ./taskade.duckdb, prints its path, exits 0."""
    result = await _load(tmp_path, account, "--details")
    assert result.code == 0, result.stderr
    path = tmp_path / "taskade.duckdb"
    assert result.stdout.splitlines()[-1] == str(path)
    assert "Loaded" in result.stdout
    assert account.token not in result.stdout + result.stderr
    loaded = tables(path, DATASET)
    assert len(loaded["projects"]) == len(account.projects)
    assert len(loaded["tasks"]) == sum(len(account.tasks(p)) for p in account.projects)
    assert "task_notes" in loaded


async def test_a_killed_load_run_again_gives_the_same_dataset(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """SIGKILL part-way, then the same command: the dataset of one clean load, no duplicate."""
    account.latency = 0.02  # a walk of a few seconds: time to be killed in the middle
    state = tmp_path / "killed" / "dlt" / "pipelines" / "taskade" / "state.json"
    proc = await _start(tmp_path / "killed", account, "--units-per-run", "1")
    done = 0
    try:
        while proc.returncode is None and done < 4:
            await asyncio.sleep(0.05)
            done = len(_round(state).get("done", []))
        assert done >= 4, "the load ended before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.communicate()
    account.latency = 0.0
    plan = _round(state)
    committed = {u["id"] for u in plan["units"] if u["key"] in plan["done"]}
    before = len(account.requests)
    again = await _load(tmp_path / "killed", account, "--units-per-run", "1", "-q")
    assert again.code == 0, again.stderr
    read = {
        r.path.rsplit("/", 1)[1]
        for r in account.requests[before:]
        if r.operation_id == projects.PROJECT_GET.operation_id
    }
    # It went on: every project not committed is read, and not all of them. (A package
    # the kill cut in half is dropped, and its units are read again.)
    assert read >= {p.id for p in account.projects} - committed
    assert len(read) < len(account.projects)
    clean = await _load(tmp_path / "clean", account, "-q")
    assert clean.code == 0, clean.stderr
    resumed = tables(tmp_path / "killed" / "taskade.duckdb", DATASET)
    assert resumed == tables(tmp_path / "clean" / "taskade.duckdb", DATASET)
    assert len(by_id(resumed["tasks"])) == len(resumed["tasks"])


async def test_a_dataset_named_like_the_file_is_refused(
    account: FakeTaskade, tmp_path: Path
) -> None:
    """``--dataset taskade`` (DuckDB's ambiguous name) exits 2 before any request or file."""
    before = len(account.requests)
    result = await _load(tmp_path, account, "--dataset", "taskade")
    assert result.code == 2
    assert "ambiguous" in result.stderr
    assert len(account.requests) == before
    assert not (tmp_path / "taskade.duckdb").exists()


async def test_an_item_that_cannot_be_read_exits_1(account: FakeTaskade, tmp_path: Path) -> None:
    """A project answering 403 is named on stderr, the rest is loaded, the exit status is 1."""
    project = account.projects[2]
    account.inject(
        Fault(FaultKind.STATUS, "GET", f"/api/v1/projects/{project.id}", status=403, remaining=9)
    )
    result = await _load(tmp_path, account)
    assert result.code == 1, result.stderr
    assert project.id in result.stderr
    loaded = tables(tmp_path / "taskade.duckdb", DATASET)
    assert len(loaded["projects"]) == len(account.projects) - 1
