"""``taskade-async merge OUT SHARD_DIR...``: shard exports into one export ``verify`` accepts.

Exit status: 0 merged, 2 nothing written (the reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final, TypeAlias

from taskade_async.export._merge import MergeError, merge

__all__ = ["add_merge_command", "run_merge"]

EXIT_OK: Final = 0
EXIT_FATAL: Final = 2
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_merge_command(commands: Subparsers) -> None:
    """Add ``merge`` to the CLI's subcommands."""
    parser = commands.add_parser(
        "merge",
        help="merge the exports of shards 0..N-1 into one export",
        description=(
            "Merge the folders of `export --shard I/N` for every I into OUT (absent or "
            "empty): the record files, the media files and one manifest.json, which "
            "`verify` checks like any export's. Exit status: 0 merged, 2 nothing written."
        ),
    )
    parser.add_argument("out_dir", metavar="OUT", type=Path, help="the merged export's folder")
    parser.add_argument(
        "shard_dirs", metavar="SHARD_DIR", type=Path, nargs="+", help="a shard's export"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    parser.set_defaults(handler=run_merge)


def run_merge(args: argparse.Namespace) -> int:
    """Run ``merge``; returns the exit status."""
    try:
        manifest = merge(args.out_dir, args.shard_dirs)
    except (MergeError, OSError) as exc:
        print(f"taskade-async merge: error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    if not args.quiet:
        total = sum(manifest.counts.values())
        print(f"Merged {len(args.shard_dirs)} shards: {total} records in {args.out_dir}.")
    return EXIT_OK
