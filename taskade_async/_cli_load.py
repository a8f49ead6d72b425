"""``taskade-async load``: the account into a warehouse with dlt (extra ``dlt``).

``load --destination duckdb`` (the default) writes ``taskade.duckdb`` in the
current folder, needing no other setup, and prints its path; any other dlt
destination (``postgres``, ``bigquery``, ...) takes dlt's usual configuration
(``.dlt/secrets.toml`` or ``DESTINATION__...`` variables). Every run is a full
refresh merged on id; a run killed part-way goes on where it stopped when the
same command is run again. Exit status: 0 all loaded, 1 some items could not
be read (named on stderr), 2 usage or fatal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from taskade_async._session import DEFAULT_BASE_URL
from taskade_async.export._shard import Shard, parse_shard

if TYPE_CHECKING:
    from dlt.pipeline.pipeline import Pipeline

__all__ = ["add_load_command", "pipeline_name", "run_load", "shard_arg"]

EXIT_OK: Final = 0
EXIT_FAILED_ITEMS: Final = 1
EXIT_FATAL: Final = 2
EXIT_INTERRUPTED: Final = 130
#: The DuckDB file's name (without ``.duckdb``), shared by every shard of a load.
DUCKDB_NAME: Final = "taskade"
DEFAULT_DATASET: Final = "taskade_data"
_SHOWN_ERRORS: Final = 10
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def shard_arg(text: str) -> Shard:
    """``--shard I/N`` for argparse."""
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def pipeline_name(shard: Shard | None) -> str:
    """The dlt pipeline of a load: one per shard, so that each keeps its own state."""
    return "taskade" if shard is None else f"taskade_shard_{shard[0]}_of_{shard[1]}"


def add_load_command(commands: Subparsers) -> None:
    """Add ``load`` to the CLI's subcommands."""
    parser = commands.add_parser(
        "load",
        help="load an account into a warehouse (dlt; DuckDB by default)",
        description=(
            "Load workspaces, folders, projects, tasks and more into a dlt destination, "
            "one table per record type, merged on id; tasks gone since the last load are "
            "marked _deleted. With duckdb (the default) the database is ./taskade.duckdb, "
            "whose path is printed. A load killed part-way goes on when run again. Exit "
            "status: 0 all loaded, 1 some items failed, 2 usage or fatal error, "
            "130 interrupted."
        ),
    )
    parser.add_argument(
        "--destination",
        default="duckdb",
        metavar="NAME",
        help="a dlt destination (default: %(default)s), configured as dlt configures it",
    )
    parser.add_argument(
        "--dataset",
        default=DEFAULT_DATASET,
        metavar="NAME",
        help=f"the dataset (schema) to load into (default: %(default)s; not {DUCKDB_NAME!r})",
    )
    parser.add_argument(
        "--details",
        action="store_true",
        help="also load each task's note, date, assignees and field values",
    )
    parser.add_argument(
        "--shard", type=shard_arg, metavar="I/N", help="load only shard I of N (0 <= I < N)"
    )
    parser.add_argument("--token", help="personal access token (default: $TASKADE_TOKEN)")
    parser.add_argument(
        "--base-url",
        help=f"API base URL (default: $TASKADE_BASE_URL, else {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=8,
        metavar="N",
        help="at most N requests in flight (default: %(default)s)",
    )
    parser.add_argument(
        "--rate", type=_positive_float, metavar="R", help="at most R requests per second"
    )
    parser.add_argument(
        "--units-per-run",
        type=_positive_int,
        default=20,
        metavar="N",
        help="folders and projects committed together (default: %(default)s): "
        "at most this much work is redone after a crash",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="load the built-in demo data from a fake Taskade server on loopback",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    parser.set_defaults(handler=run_load)


@contextlib.contextmanager
def _demo() -> Iterator[tuple[str, str]]:
    """The demo server in a thread of its own (dlt runs the load from this thread)."""
    import asyncio
    import threading

    from taskade_async.testing import FakeTaskade

    ready = threading.Event()
    found: list[tuple[str, str]] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        async with FakeTaskade(record=False) as fake:
            fake.load_demo()
            found.append((str(fake.base_url), fake.token))
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    ready.wait()
    try:
        yield found[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()


def _destination(args: argparse.Namespace) -> tuple[Any, Path | None]:
    """The dlt destination, and for DuckDB the database file (in the current folder)."""
    import dlt

    if args.destination != "duckdb":
        return args.destination, None
    path = Path.cwd() / f"{DUCKDB_NAME}.duckdb"
    return dlt.destinations.duckdb(str(path)), path


def run_load(args: argparse.Namespace) -> int:
    """Run ``load``; returns the exit status."""
    where = "taskade-async load"
    if args.demo and (args.token or args.base_url is not None):
        print(f"{where}: error: --demo runs its own server, drop --token", file=sys.stderr)
        return EXIT_FATAL
    token = args.token or os.environ.get("TASKADE_TOKEN")
    if not token and not args.demo:
        print(f"{where}: error: no token: pass --token or set TASKADE_TOKEN", file=sys.stderr)
        return EXIT_FATAL
    if args.destination == "duckdb" and args.dataset == DUCKDB_NAME:
        print(
            f"{where}: error: the dataset must not be named like the DuckDB file "
            f"({DUCKDB_NAME}.duckdb): DuckDB would find the name ambiguous",
            file=sys.stderr,
        )
        return EXIT_FATAL
    # Our command does not phone home, whatever dlt's default (a user may set it back on).
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    try:
        import dlt
        from dlt.pipeline.exceptions import PipelineStepFailed

        from taskade_async.dlt import load, round_done
    except ImportError as exc:
        print(f"{where}: error: {exc}; install taskade-async[dlt]", file=sys.stderr)
        return EXIT_FATAL
    try:
        destination, path = _destination(args)
        with contextlib.ExitStack() as stack:
            base_url = args.base_url
            if args.demo:
                base_url, token = stack.enter_context(_demo())
            pipeline = dlt.pipeline(
                pipeline_name(args.shard), destination=destination, dataset_name=args.dataset
            )
            load(
                pipeline,
                max_units=args.units_per_run,
                # DuckDB loads JSON Lines about ten times faster than its default SQL inserts.
                loader_file_format="jsonl" if path is not None else None,
                token=token,
                base_url=base_url,
                details=args.details,
                shard=args.shard,
                concurrency=args.concurrency,
                rate_limit=args.rate,
            )
    except KeyboardInterrupt:
        print("Interrupted; run the same command again to go on.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except PipelineStepFailed as exc:
        print(f"{where}: error: {_cause(exc)}", file=sys.stderr)
        return EXIT_FATAL
    except Exception as exc:  # dlt's configuration errors and the like: fatal, said plainly
        print(f"{where}: error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    last = round_done(pipeline, args.shard) or {}
    _report(pipeline, last, path, args.quiet)
    return EXIT_FAILED_ITEMS if last.get("errors") else EXIT_OK


def _cause(exc: BaseException) -> str:
    """The innermost cause of a dlt step failure (the API's or the network's error)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return str(exc)


def _report(pipeline: Pipeline, last: dict[str, Any], path: Path | None, quiet: bool) -> None:
    rows: dict[str, int] = last.get("rows", {})
    errors: list[dict[str, Any]] = last.get("errors", [])
    if not quiet:
        print(
            f"Loaded {sum(rows.values())} records into dataset {pipeline.dataset_name} "
            f"({last.get('requests', 0)} requests, {last.get('units', 0)} folders and projects)."
        )
        print("  " + ", ".join(f"{kind} {n}" for kind, n in rows.items()))
    for error in errors[:_SHOWN_ERRORS]:
        status = f" {error['status']}" if error.get("status") is not None else ""
        what = f"{error['what']} {error['id']}:{status}"
        print(f"  failed: {what} {error['message']}", file=sys.stderr)
    if len(errors) > _SHOWN_ERRORS:
        print(f"  ... and {len(errors) - _SHOWN_ERRORS} more", file=sys.stderr)
    if path is not None:
        print(path)
