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
import sys
from pathlib import Path
from typing import Final

from taskade_async import _cli_common as common
from taskade_async._cli_common import EXIT_FAILED, EXIT_OK
from taskade_async._errors import TaskadeError
from taskade_async.export._engine import ExportError
from taskade_async.export._restore import checked_export, restore
from taskade_async.export._restore_plan import RestorePlan, plan_restore
from taskade_async.export._restore_report import REPORT, RestoreReport

__all__ = ["add_restore_command"]

_SHOWN: Final = 10


def add_restore_command(commands: common.Subparsers) -> None:
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
        "--folder", required=True, type=common.id_arg, metavar="FOLDER_ID", help="where to restore"
    )
    parser.add_argument(
        "--project",
        dest="projects",
        action="append",
        type=common.id_arg,
        metavar="OLD_ID",
        help="restore only these exported projects (repeatable)",
    )
    parser.add_argument("--resume", action="store_true", help="continue an interrupted restore")
    parser.add_argument(
        "--dry-run", action="store_true", help="send nothing; print the plan and its time"
    )
    common.add_pace_options(parser)
    common.add_token_options(parser)
    common.add_noise_options(parser)
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


async def _run(args: argparse.Namespace) -> RestoreReport:
    token = common.token_of(args)
    if not token:
        raise ExportError("no token: pass --token or set TASKADE_TOKEN")
    async with contextlib.AsyncExitStack() as stack:
        session, progress = await common.open_session(stack, token, args.base_url, args)
        return await restore(
            session,
            args.export_dir,
            folder_id=args.folder,
            projects=args.projects,
            resume=args.resume,
            concurrency=args.concurrency,
            progress=progress,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _main(args: argparse.Namespace) -> int:
    common.setup_logging(args)
    try:
        if args.dry_run:
            wanted = None if args.projects is None else frozenset(args.projects)
            _, sources = checked_export(args.export_dir, wanted)
            _print_plan(plan_restore(sources), args.rate)
            return EXIT_OK
        report = asyncio.run(common.stoppable(_run(args)))
    except (KeyboardInterrupt, common.Terminated) as exc:
        what, status = common.stopped_status(exc)
        print(
            f"{what}; the journal is kept. To continue, run the same command with --resume.",
            file=sys.stderr,
        )
        return status
    except (ExportError, TaskadeError, OSError, ValueError) as exc:
        return common.fail("taskade-async restore", str(exc))
    if not args.quiet:
        _print_report(report)
    return EXIT_OK if report.ok else EXIT_FAILED
