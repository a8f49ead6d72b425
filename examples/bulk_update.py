"""Complete, or tag, the tasks that match a text across projects, concurrently.

    export TASKADE_TOKEN=tskdp_...
    python examples/bulk_update.py --match "Fix" --complete
    python examples/bulk_update.py --match "Ship" --tag release --project ID --project ID

Lists walk the projects' tasks while a pool of workers sends the updates: at
most ``--concurrency`` requests in flight and ``--rate`` per second (the
session paces them, and slows down further after a 429). A task that fails
(deleted meanwhile, no permission) is reported and the rest go on.
``TASKADE_BASE_URL`` points it at another server, e.g. FakeTaskade
(``python -m taskade_async.testing serve --demo`` prints both variables).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import attrs

import taskade_async as tk
from taskade_async.api import me, projects, tasks
from taskade_async.models import Task


@attrs.define
class Summary:
    """What a run did."""

    matched: int = 0
    updated: int = 0
    failed: list[str] = attrs.Factory(list)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--match", required=True, help="update tasks whose text contains this")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--complete", action="store_true", help="mark them done")
    action.add_argument("--tag", metavar="TAG", help="append #TAG to their text")
    parser.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="ID",
        help="only these projects (repeatable; default: all of yours)",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (8)")
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second (10)")
    parser.add_argument("--dry-run", action="store_true", help="only list what would change")
    return parser.parse_args(argv)


async def update(s: tk.Session, project_id: str, task: Task, args: argparse.Namespace) -> None:
    """Apply the change to one task."""
    if args.complete:
        await tasks.complete(s, project_id, task.id)
    else:
        text = f"{task.text} #{args.tag}"
        await tasks.update(s, project_id, task.id, content_type="text/markdown", content=text)


def wanted(task: Task, args: argparse.Namespace) -> bool:
    """Whether the task matches and still needs the change."""
    if task.text is None or args.match not in task.text:
        return False
    if args.complete:
        return not task.completed
    return not task.text.endswith(f"#{args.tag}")


async def run(args: argparse.Namespace) -> Summary:
    summary = Summary()
    base_url = os.environ.get("TASKADE_BASE_URL", str(tk.DEFAULT_BASE_URL))
    queue: asyncio.Queue[tuple[str, Task]] = asyncio.Queue(maxsize=args.concurrency * 4)
    async with tk.Session(
        base_url=base_url, max_connections=args.concurrency, rate_limit=args.rate
    ) as s:
        project_ids = args.project or [p.id async for p in me.list_projects(s)]

        async def produce() -> None:
            for project_id in project_ids:
                async for task in projects.list_tasks(s, project_id, limit=1000):
                    if wanted(task, args):
                        summary.matched += 1
                        await queue.put((project_id, task))

        async def work() -> None:
            while True:
                project_id, task = await queue.get()
                try:
                    if args.dry_run:
                        print(f"would update {project_id}/{task.id}: {task.text}")
                    else:
                        await update(s, project_id, task, args)
                        summary.updated += 1
                except tk.APIError as exc:  # this task only: report it, go on
                    summary.failed.append(f"{project_id}/{task.id}: {exc.status} {exc.code}")
                finally:
                    queue.task_done()

        workers = [asyncio.create_task(work()) for _ in range(args.concurrency)]
        try:
            await produce()
            await queue.join()
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        print(
            f"{summary.matched} matched, {summary.updated} updated, {len(summary.failed)} failed "
            f"({s.stats.requests} requests, {s.stats.rate_limited} rate-limited)"
        )
    for line in summary.failed:
        print(f"  failed: {line}", file=sys.stderr)
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    """Run from the command line; exit status 1 if any task failed."""
    summary = asyncio.run(run(parse(argv)))
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
