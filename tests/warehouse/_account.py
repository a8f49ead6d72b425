"""A small account with every record kind, and helpers to load it and read DuckDB back."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dlt
import duckdb

from taskade_async import RetryPolicy
from taskade_async.dlt import load
from taskade_async.export import RECORD_TYPES
from taskade_async.testing import FakeTaskade

DATASET = "tk"
#: Quick retries, so that a test of a fault does not wait out real backoffs.
FAST = RetryPolicy(max_attempts=6, base_backoff=0.01, max_backoff=0.05)


def build_account(fake: FakeTaskade) -> None:
    """Three workspaces, folders, nine projects with nested tasks, details and agents."""
    for w in range(3):
        ws = fake.add_workspace(f"Workspace {w}")
        fake.add_member(ws, f"user{w}")
        spaces = [ws, *(fake.add_folder(ws, f"Folder {w}.{f}") for f in range(2))]
        fake.add_agent(ws, f"Agent {w}")
        fake.add_media(spaces[1], f"file{w}.txt", b"hello %d" % w)
        for s, space in enumerate(spaces):
            project = fake.add_project(space, f"Project {w}.{s}", task_count=25, seed=w * 3 + s)
            fake.add_field(project, {"type": "Number", "displayName": "Points"})
            for n, task in enumerate(fake.tasks(project)[:6]):
                fake.add_task(
                    project,
                    f"Detail {n} of {project.id}",
                    parent=task,
                    note=f"note {n}",
                    date={"start": {"date": f"2026-01-0{n + 1}"}},
                    assignees=[f"user{w}"],
                )


def pipeline(root: Path, name: str = "taskade") -> dlt.Pipeline:
    """A pipeline whose DuckDB file and working folders are under ``root``."""
    return dlt.pipeline(
        name,
        destination=dlt.destinations.duckdb(str(root / "taskade.duckdb")),
        dataset_name=DATASET,
        pipelines_dir=str(root / "pipelines"),
    )


def load_account(fake: FakeTaskade, root: Path, **options: Any) -> None:
    """Load the fake's account into ``root/taskade.duckdb`` (call it in a worker thread)."""
    name = "taskade"
    if options.get("shard") is not None:
        name = "taskade_shard_{}_of_{}".format(*options["shard"])
    load(
        pipeline(root, name),
        token=fake.token,
        base_url=str(fake.base_url),
        retry=FAST,
        **{"max_units": 4, "loader_file_format": "jsonl", **options},
    )


def tables(path: Path, dataset: str = DATASET) -> dict[str, list[dict[str, Any]]]:
    """Every record kind's table (dlt's own columns left out), rows sorted."""
    out: dict[str, list[dict[str, Any]]] = {}
    with duckdb.connect(str(path), read_only=True) as db:
        names = {
            row[0]
            for row in db.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [dataset],
            ).fetchall()
        }
        for kind in RECORD_TYPES:
            if kind not in names:
                continue
            cursor = db.execute(f'select * from "{dataset}"."{kind}"')
            columns = [c[0] for c in cursor.description or ()]
            rows = [
                {k: v for k, v in zip(columns, row, strict=True) if not k.startswith("_dlt")}
                for row in cursor.fetchall()
            ]
            out[kind] = sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return out


def export_lines(folder: Path) -> dict[str, list[dict[str, Any]]]:
    """Every ``<type>.jsonl`` of an export, parsed."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in RECORD_TYPES:
        path = folder / f"{kind}.jsonl"
        if path.is_file():
            out[kind] = [json.loads(line) for line in path.read_text().splitlines()]
    return out


def by_id(rows: Sequence[Mapping[str, Any]]) -> dict[Any, Mapping[str, Any]]:
    """Rows keyed by ``id``."""
    return {row["id"]: row for row in rows}
