"""The ``taskade-async`` command: ``export OUT_DIR [options]``, ``webhooks ...``.

A thin layer over :func:`taskade_async.export.export`. Exit status: 0 when
everything was exported (or ``--resume`` found the export complete, with the
same options and server), 1 when some items failed (listed in
``manifest.json``; ``--resume`` fetches them again), 2 on a usage or fatal error,
130 on Ctrl-C and 143 on SIGTERM (the checkpoint is saved: run again with
``--resume``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Final, TextIO

from taskade_async._cli_bots import add_listen_command, add_trigger_command
from taskade_async._cli_inbox import add_inbox_commands
from taskade_async._cli_load import add_load_command, shard_arg
from taskade_async._cli_merge import add_merge_command
from taskade_async._cli_restore import add_restore_command
from taskade_async._cli_verify import add_verify_command
from taskade_async._cli_webhooks import add_webhooks_parser
from taskade_async._errors import TaskadeError
from taskade_async._session import DEFAULT_BASE_URL, Session
from taskade_async._version import __version__
from taskade_async.export import ExportError, Manifest, Progress, export
from taskade_async.export._checks import id_problem
from taskade_async.export._engine import DEFAULT_CONCURRENCY, finished_export
from taskade_async.export._store import STATE_DIR

__all__ = [
    "EXIT_FAILED_ITEMS",
    "EXIT_FATAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "build_parser",
    "main",
]

#: Exit status: everything was done.
EXIT_OK: Final = 0
#: Exit status: the export finished, but some items could not be exported.
EXIT_FAILED_ITEMS: Final = 1
#: Exit status: nothing could be done (bad arguments, credentials, folder, full disk).
EXIT_FATAL: Final = 2
#: Exit status: interrupted by Ctrl-C (the checkpoint is saved).
EXIT_INTERRUPTED: Final = 130
#: Exit status: stopped by SIGTERM (the checkpoint is saved).
EXIT_TERMINATED: Final = 128 + signal.SIGTERM
_SHOWN_ERRORS: Final = 10
#: No space left, or over the quota (an errno some platforms lack).
_DISK_FULL: Final = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_log = logging.getLogger("taskade_async.cli")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def _id(text: str) -> str:
    problem = id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def build_parser() -> argparse.ArgumentParser:
    """The command line parser."""
    parser = argparse.ArgumentParser(
        prog="taskade-async", description="Tools for the Taskade REST API v1."
    )
    parser.add_argument("--version", action="version", version=f"taskade-async {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ex = commands.add_parser(
        "export",
        help="export an account to JSON Lines files",
        description=(
            "Export workspaces, folders, projects, tasks and more into OUT_DIR: one "
            "<type>.jsonl per record type and manifest.json. Interrupted exports "
            "continue with --resume. Exit status: 0 all exported (or already complete), "
            "1 some items failed (see manifest.json), 2 usage or fatal error, "
            "130 interrupted (Ctrl-C), 143 stopped (SIGTERM)."
        ),
    )
    ex.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="output folder (empty or new)")
    ex.add_argument(
        "--token", help="personal access token (default: $TASKADE_TOKEN, which keeps it out of ps)"
    )
    ex.add_argument(
        "--base-url",
        help=f"API base URL (default: $TASKADE_BASE_URL, else {DEFAULT_BASE_URL})",
    )
    ex.add_argument(
        "--details",
        action="store_true",
        help="also export each task's note, date, assignees and field values",
    )
    ex.add_argument("--media", action="store_true", help="also download media files")
    for name, what in (("workspace", "workspaces"), ("folder", "folders"), ("project", "projects")):
        ex.add_argument(
            f"--{name}",
            dest=what,
            action="append",
            default=[],
            metavar="ID",
            type=_id,
            help=f"export only these {what} (repeatable)",
        )
    ex.add_argument(
        "--concurrency",
        type=_positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="at most N requests in flight (default: %(default)s)",
    )
    ex.add_argument(
        "--rate",
        type=_positive_float,
        metavar="R",
        help="at most R requests per second (a ceiling: below it, the pace adapts to 429s)",
    )
    ex.add_argument(
        "--shard", type=shard_arg, metavar="I/N", help="export only shard I of N (see merge)"
    )
    ex.add_argument(
        "--resume",
        action="store_true",
        help=(
            "continue an interrupted export; start one if OUT_DIR is absent or empty; "
            "fetch again the items a finished export failed; do nothing if it is "
            "complete (one command for cron or systemd)"
        ),
    )
    ex.add_argument(
        "--demo",
        action="store_true",
        help="export the built-in demo data from a fake Taskade server on loopback",
    )
    noise = ex.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    noise.add_argument("--verbose", "-v", action="store_true", help="log every request")
    webhooks_actions = add_webhooks_parser(commands)
    add_listen_command(webhooks_actions)
    add_inbox_commands(webhooks_actions)
    add_trigger_command(commands)
    add_verify_command(commands)
    add_restore_command(commands)
    add_load_command(commands)
    add_merge_command(commands)
    return parser


@contextlib.asynccontextmanager
async def _demo_server() -> AsyncIterator[tuple[str, str]]:
    """Start the fake Taskade server on loopback with its demo data; yield (base URL, token)."""
    # Imported here: only --demo needs the fake server (and its aiohttp.web).
    from taskade_async.testing import FakeTaskade

    async with FakeTaskade(record=False) as fake:
        fake.load_demo()
        yield str(fake.base_url), fake.token


def _summary(manifest: Manifest, out_dir: Path, stream: TextIO) -> None:
    total = sum(manifest.counts.values())
    print(
        f"Exported {total} records into {out_dir} in {manifest.duration_seconds:.1f} s "
        f"({manifest.requests} requests, {manifest.retries} retries, "
        f"{manifest.rate_limited} rate-limited, {manifest.runs} run(s)).",
        file=stream,
    )
    counts = ", ".join(f"{kind} {n}" for kind, n in manifest.counts.items())
    print(f"  {counts}", file=stream)
    if manifest.errors:
        print(
            f"{len(manifest.errors)} item(s) could not be exported "
            f"(all listed in {out_dir / 'manifest.json'}):",
            file=stream,
        )
        for error in manifest.errors[:_SHOWN_ERRORS]:
            status = f" {error.status}" if error.status is not None else ""
            print(f"  {error.what} {error.id}:{status} {error.message}", file=stream)
        if len(manifest.errors) > _SHOWN_ERRORS:
            print(f"  ... and {len(manifest.errors) - _SHOWN_ERRORS} more", file=stream)


async def _run_export(args: argparse.Namespace) -> Manifest:
    async with contextlib.AsyncExitStack() as stack:
        token: str | None
        if args.demo:
            base_url, token = await stack.enter_async_context(_demo_server())
        else:
            base_url = args.base_url
            token = args.token or os.environ.get("TASKADE_TOKEN")
        if not token:
            raise ExportError("no token: pass --token or set TASKADE_TOKEN")
        session = await stack.enter_async_context(
            Session(
                token,
                base_url=base_url,
                max_connections=args.concurrency,
                rate_limit=args.rate,
            )
        )
        progress = None
        if not args.quiet:
            progress = await stack.enter_async_context(Progress(lambda: session.stats.requests))
        return await export(
            session,
            args.out_dir,
            details=args.details,
            media=args.media,
            workspaces=args.workspaces,
            folders=args.folders,
            projects=args.projects,
            concurrency=args.concurrency,
            resume=args.resume,
            progress=progress,
            # The demo server's port changes from run to run; its data does not.
            source="demo" if args.demo else None,
            shard=args.shard,
        )
    raise AssertionError("unreachable")  # pragma: no cover - the stack never swallows


class _Terminated(Exception):
    """SIGTERM stopped the export (a container or service stop)."""


async def _stoppable(args: argparse.Namespace) -> Manifest:
    """Run the export; SIGTERM cancels it as Ctrl-C does, then raises :class:`_Terminated`."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:  # a second SIGTERM does not cut the clean-up short
            stopped = True
            task.cancel()

    # Windows has no loop signal handlers: there SIGTERM ends the process as before.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop)
    try:
        return await _run_export(args)
    except asyncio.CancelledError:
        if stopped:
            raise _Terminated from None
        raise
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)


def _describe(exc: BaseException) -> str:
    """An error in the command's words (no Python reprs)."""
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        where = f" (writing {exc.filename})" if exc.filename else ""
        return f"the disk is full{where}; free some space"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def _again(args: argparse.Namespace) -> str:
    """How to continue: the same command, with --resume if it lacked it."""
    return "run the same command again" + ("" if args.resume else " with --resume")


def _nothing_done(before: Manifest | None, after: Manifest, args: argparse.Namespace) -> bool:
    """With --resume on a complete export (checked against this run): say so."""
    if before is None or after != before:
        return False
    if not args.quiet:
        print(
            f"Nothing to do: {args.out_dir} holds a complete export "
            f"({sum(after.counts.values())} records, finished {after.finished_at}); "
            "no file was rewritten.",
            file=sys.stdout,
        )
    return True


def _setup_logging(args: argparse.Namespace) -> None:
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger("taskade_async")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is not None:  # another command than export (webhooks, trigger)
        status: int = handler(args)
        return status
    if args.demo and (args.token or args.base_url is not None):
        parser.error("--demo runs its own server: drop --token and --base-url")
    _setup_logging(args)
    try:
        before = finished_export(args.out_dir) if args.resume else None
        manifest = asyncio.run(_stoppable(args))
        if _nothing_done(before, manifest, args):
            return EXIT_OK
    except (KeyboardInterrupt, _Terminated) as exc:
        what = "Interrupted" if isinstance(exc, KeyboardInterrupt) else "Stopped (SIGTERM)"
        print(f"{what}; the checkpoint is saved. To continue, {_again(args)}.", file=sys.stderr)
        return EXIT_INTERRUPTED if isinstance(exc, KeyboardInterrupt) else EXIT_TERMINATED
    except (ExportError, TaskadeError, OSError, ValueError) as exc:
        print(f"taskade-async export: error: {_describe(exc)}", file=sys.stderr)
        if (args.out_dir / STATE_DIR).is_dir():
            print(f"The checkpoint is kept. To continue, {_again(args)}.", file=sys.stderr)
        return EXIT_FATAL
    if not args.quiet:
        _summary(manifest, args.out_dir, sys.stdout)
    return EXIT_FAILED_ITEMS if manifest.errors else EXIT_OK
