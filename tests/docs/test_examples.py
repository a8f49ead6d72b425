"""The scripts in examples/ run as a user runs them, against the demo FakeTaskade."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from taskade_async.testing import FakeTaskade

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


async def _run(script: str, *args: str) -> tuple[int, str, str]:
    """Run ``examples/<script>`` in a child process (the fake keeps serving meanwhile)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))  # TASKADE_TOKEN/_BASE_URL: the demo fixture's
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / script),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def test_every_example_has_a_test() -> None:
    """Each script in examples/ is run by a test (here, or the bot's in tests/events)."""
    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    assert [p.name for p in sorted(EXAMPLES.glob("*.py")) if f'"{p.name}"' not in source] == []


def _small_projects(fake: FakeTaskade, n: int) -> list[str]:
    return [p.id for p in sorted(fake.projects, key=lambda p: len(fake.tasks(p)))[:n]]


async def test_bulk_update_completes_the_matching_tasks_under_a_rate_limit(
    demo: FakeTaskade,
) -> None:
    """Every open task matching the text is completed, once, while the server limits the rate."""
    chosen = _small_projects(demo, 2)
    targets = [t.id for p in chosen for t in demo.tasks(p) if "Fix" in t.text and not t.completed]
    assert targets
    demo.set_rate_limit(40, burst=5)
    code, out, err = await _run(
        "bulk_update.py", "--match", "Fix", "--complete", "--rate", "30",
        *(arg for p in chosen for arg in ("--project", p)),
    )  # fmt: skip
    assert code == 0, err
    assert f"{len(targets)} matched, {len(targets)} updated, 0 failed" in out
    for p in chosen:
        for task in demo.tasks(p):
            assert task.completed == (task.id in targets or task.completed)
    posts = [r for r in demo.requests if r.method == "POST" and r.status == 200]
    assert sorted(r.path.split("/")[-2] for r in posts) == sorted(targets)


async def test_bulk_update_tags_once(demo: FakeTaskade) -> None:
    """--tag appends the tag to matching tasks; a second run finds nothing left to do."""
    (chosen,) = _small_projects(demo, 1)
    first = await _run("bulk_update.py", "--match", "Ship", "--tag", "release", "--project", chosen)
    again = await _run("bulk_update.py", "--match", "Ship", "--tag", "release", "--project", chosen)
    assert first[0] == again[0] == 0, first[2] + again[2]
    tagged = [t.text for t in demo.tasks(chosen) if "Ship" in t.text]
    assert tagged
    assert all(text.endswith(" #release") for text in tagged)
    assert again[1].startswith("0 matched")


async def test_export_duckdb_exports_then_queries(demo: FakeTaskade, tmp_path: Path) -> None:
    """The export lands in the folder and both DuckDB reports print, counting its tasks."""
    chosen = _small_projects(demo, 3)
    out = tmp_path / "backup"
    code, stdout, err = await _run(
        "export_duckdb.py", str(out), *(arg for p in chosen for arg in ("--project", p))
    )
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["tasks"] == sum(len(demo.tasks(p)) for p in chosen)
    assert "open tasks per project:" in stdout
    assert "busiest people:" in stdout
    for p in chosen:
        assert demo.project(p).name in stdout
