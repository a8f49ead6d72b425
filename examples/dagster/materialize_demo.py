"""Materialize every partition of definitions.py against FakeTaskade (``nox -s dagster``).

Starts the fake with the demo account and one token per shard, runs each
partition with ``dagster.materialize``, then checks that the DuckDB tables hold
every project and task of the account exactly once. Exit 0 when they do.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

from taskade_async.testing import FakeTaskade

SHARDS = 3


def _serve(ready: threading.Event, box: list[FakeTaskade], stop: threading.Event) -> None:
    async def main() -> None:
        async with FakeTaskade(record=False) as fake:
            fake.load_demo()
            box.append(fake)
            ready.set()
            await asyncio.to_thread(stop.wait)

    asyncio.run(main())


def main() -> int:
    ready, stop = threading.Event(), threading.Event()
    box: list[FakeTaskade] = []
    server = threading.Thread(target=_serve, args=(ready, box, stop))
    server.start()
    ready.wait()
    fake = box[0]
    folder = Path(tempfile.mkdtemp(prefix="taskade-dagster-"))
    os.environ.update(
        TASKADE_SHARDS=str(SHARDS),
        TASKADE_BASE_URL=str(fake.base_url),
        TASKADE_DUCKDB=str(folder / "taskade.duckdb"),
        DLT_DATA_DIR=str(folder / "dlt"),
        RUNTIME__DLTHUB_TELEMETRY="false",
        DAGSTER_HOME=str(folder),
        **{f"TASKADE_TOKEN_{i}": fake.add_token() for i in range(SHARDS)},
    )
    try:
        import dagster as dg
        from dagster_dlt import DagsterDltResource

        sys.path.insert(0, str(Path(__file__).parent))
        from definitions import taskade_tables

        for i in range(SHARDS):
            started = time.monotonic()
            result = dg.materialize(
                [taskade_tables],
                partition_key=str(i),
                resources={"dlt": DagsterDltResource()},
            )
            print(f"partition {i}: success={result.success} in {time.monotonic() - started:.1f} s")
            if not result.success:
                return 1
        with duckdb.connect(str(folder / "taskade.duckdb"), read_only=True) as db:
            query = "select count(*), count(distinct id) from taskade_data.tasks"
            tasks = db.execute(query).fetchone()
            projects = db.execute("select count(*) from taskade_data.projects").fetchone()
        want = sum(len(fake.tasks(p)) for p in fake.projects)
        print(f"tasks {tasks} (want {want}), projects {projects} (want {len(fake.projects)})")
        return 0 if tasks == (want, want) and projects == (len(fake.projects),) else 1
    finally:
        stop.set()
        server.join()


if __name__ == "__main__":
    sys.exit(main())
