"""Export an account, then query the JSON Lines files with DuckDB.

    pip install duckdb
    export TASKADE_TOKEN=tskdp_...
    python examples/export_duckdb.py ./backup
    python examples/export_duckdb.py ./backup --project ID --project ID

Prints the projects with the most open tasks and who has the most open tasks
assigned. ``TASKADE_BASE_URL`` points it at another server, e.g. FakeTaskade
(``python -m taskade_async.testing serve --demo`` prints both variables).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

import taskade_async as tk
from taskade_async.export import Manifest, export

OPEN_TASKS = """
    SELECT p.data.name AS project,
           count(*) FILTER (WHERE NOT coalesce(t.data.completed, false)) AS open,
           count(*) AS tasks
    FROM read_json('{out}/tasks.jsonl') AS t
    JOIN read_json('{out}/projects.jsonl') AS p ON p.data.id = t.projectId
    GROUP BY p.data.id, p.data.name
    ORDER BY open DESC, project
    LIMIT 10
"""
BUSIEST = """
    SELECT a.data.handle AS person, count(*) AS open
    FROM read_json('{out}/task_assignees.jsonl') AS a
    JOIN read_json('{out}/tasks.jsonl') AS t ON t.data.id = a.taskId
    WHERE NOT coalesce(t.data.completed, false)
    GROUP BY person
    ORDER BY open DESC, person
    LIMIT 5
"""


async def fetch(out: Path, project_ids: Sequence[str]) -> Manifest:
    """Export (with task details, for the assignees) into ``out``."""
    base_url = os.environ.get("TASKADE_BASE_URL", str(tk.DEFAULT_BASE_URL))
    async with tk.Session(base_url=base_url, max_connections=8) as s:
        return await export(s, out, projects=project_ids, details=True, concurrency=8)


def query(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The two reports, as rows; each is printed as a table too."""
    db = duckdb.connect()
    reports = {}
    for name, sql in (("open tasks per project", OPEN_TASKS), ("busiest people", BUSIEST)):
        relation = db.sql(sql.format(out=out.as_posix()))
        print(f"\n{name}:")
        relation.show()
        reports[name] = relation.fetchall()
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="an empty or new folder for the export")
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="ID",
        help="only these projects (repeatable; default: everything)",
    )
    args = parser.parse_args(argv)
    manifest = asyncio.run(fetch(args.out_dir, args.project))
    print(f"exported {sum(manifest.counts.values())} records, {len(manifest.errors)} errors")
    query(args.out_dir)
    return 1 if manifest.errors else 0


if __name__ == "__main__":
    sys.exit(main())
