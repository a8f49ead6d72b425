"""``taskade-async restore EXPORT_DIR --folder FOLDER_ID``: rebuild an export's projects.

Exit status: 0 every restorable item restored and verified, 1 some failed or
differ (see restore.json), 2 usage or fatal error (a damaged export, a
second restore without --resume: nothing sent), 130 interrupted (Ctrl-C) and
143 stopped (SIGTERM), the journal kept: run again with --resume.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, Final

from taskade_async._errors import TaskadeError
from taskade_async._session import DEFAULT_BASE_URL, Session
from taskade_async.export._checks import id_problem
from taskade_async.export._engine import DEFAULT_CONCURRENCY, ExportError
from taskade_async.export._progress import Progress
from taskade_async.export._restore import checked_export, restore
from taskade_async.export._restore_plan import RestorePlan, plan_restore
from taskade_async.export._restore_report import REPORT, RestoreReport

__all__ = ["add_restore_command"]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_FATAL: Final = 2
EXIT_INTERRUPTED: Final = 130
EXIT_TERMINATED: Final = 128 + signal.SIGTERM
_SHOWN: Final = 10


def _id(text: str) -> str:
    problem = id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0 or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be positive, not {text}")
        return value

    return parse


def add_restore_command(commands: Any) -> None:
    """Add ``restore`` to the top-level subparsers."""
    parser = commands.add_parser(
        "restore",
        help="rebuild an export's projects in a folder (of any account)",
        description=(
            "Verify EXPORT_DIR, then create each exported project anew in FOLDER_ID "
            "(a folder or a workspace, of this account or another: a migration) with "
            "the same task tree, completion, notes, dates and the assignees who are "
            "members. Crash-safe: a journal in EXPORT_DIR/.taskade-restore/ lets "
            "--resume finish with exactly one copy of every task. Writes restore.json. "
            "Exit status: 0 all restored and verified, 1 some failed or differ, 2 usage "
            "or fatal error, 130 interrupted, 143 stopped (SIGTERM)."
        ),
    )
    parser.add_argument("export_dir", metavar="EXPORT_DIR", type=Path, help="an export folder")
    parser.add_argument(
        "--folder", required=True, type=_id, metavar="FOLDER_ID", help="where to restore"
    )
    parser.add_argument(
        "--project",
        dest="projects",
        action="append",
        type=_id,
        metavar="OLD_ID",
        help="restore only these exported projects (repeatable)",
    )
    parser.add_argument("--resume", action="store_true", help="continue an interrupted restore")
    parser.add_argument(
        "--dry-run", action="store_true", help="send nothing; print the plan and its time"
    )
    parser.add_argument(
        "--concurrency",
        type=_positive(int),
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="at most N requests in flight (default: %(default)s)",
    )
    parser.add_argument(
        "--rate", type=_positive(float), metavar="R", help="at most R requests per second"
    )
    parser.add_argument("--token", help="personal access token (default: $TASKADE_TOKEN)")
    parser.add_argument(
        "--base-url", help=f"API base URL (default: $TASKADE_BASE_URL, else {DEFAULT_BASE_URL})"
    )
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    noise.add_argument("--verbose", "-v", action="store_true", help="log every request")
    parser.set_defaults(handler=_main)


def _print_plan(plan: RestorePlan, rate: float | None) -> None:
    print(f"Plan: {plan.projects} project(s), {plan.tasks} task(s), {plan.total} request(s):")
    for op, count in plan.requests.items():
        if count:
            print(f"  {op} {count}")
    seconds = plan.seconds(rate)
    if seconds is None:
        print("No --rate given: no time estimate.")
    else:
        print(f"At {rate:g} requests/s: about {seconds:.0f} s. Nothing was sent (--dry-run).")


def _print_report(report: RestoreReport) -> None:
    restored = ", ".join(f"{kind} {n}" for kind, n in report.restored.items())
    print(
        f"Restored into folder {report.folder_id}: {restored} "
        f"({report.requests} requests over {report.runs} run(s))."
    )
    for kind, skip in report.skipped.items():
        print(f"  skipped {kind} {skip['count']}: {skip['reason']}")
    problems = report.errors + [
        f"project {old}: {', '.join(found)}" for old, found in report.mismatches.items() if found
    ]
    if problems:
        print(f"{len(problems)} problem(s) (all in {report.export_dir / REPORT}):")
        for problem in problems[:_SHOWN]:
            print(f"  {problem}")


class _Terminated(Exception):
    """SIGTERM stopped the restore."""


async def _run(args: argparse.Namespace) -> RestoreReport:
    token = args.token or os.environ.get("TASKADE_TOKEN")
    if not token:
        raise ExportError("no token: pass --token or set TASKADE_TOKEN")
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            stopped = True
            task.cancel()

    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop)
    try:
        async with contextlib.AsyncExitStack() as stack:
            session = await stack.enter_async_context(
                Session(
                    token,
                    base_url=args.base_url,
                    max_connections=args.concurrency,
                    rate_limit=args.rate,
                )
            )
            progress = None
            if not args.quiet:
                progress = await stack.enter_async_context(Progress(lambda: session.stats.requests))
            return await restore(
                session,
                args.export_dir,
                folder_id=args.folder,
                projects=args.projects,
                resume=args.resume,
                concurrency=args.concurrency,
                progress=progress,
            )
    except asyncio.CancelledError:
        if stopped:
            raise _Terminated from None
        raise
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)
    raise AssertionError("unreachable")  # pragma: no cover


def _main(args: argparse.Namespace) -> int:
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger("taskade_async")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    try:
        if args.dry_run:
            wanted = None if args.projects is None else frozenset(args.projects)
            _, sources = checked_export(args.export_dir, wanted)
            _print_plan(plan_restore(sources), args.rate)
            return EXIT_OK
        report = asyncio.run(_run(args))
    except (KeyboardInterrupt, _Terminated) as exc:
        what = "Interrupted" if isinstance(exc, KeyboardInterrupt) else "Stopped (SIGTERM)"
        print(
            f"{what}; the journal is kept. To continue, run the same command with --resume.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_TERMINATED
    except (ExportError, TaskadeError, OSError, ValueError) as exc:
        print(f"taskade-async restore: error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    if not args.quiet:
        _print_report(report)
    return EXIT_OK if report.ok else EXIT_FAILED
