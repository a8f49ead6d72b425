"""``taskade-async verify EXPORT_DIR``: check a backup offline against its manifest.

Exit status: 0 intact, 1 damaged (each problem named on stderr), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from taskade_async import _cli_common as common
from taskade_async._cli_common import EXIT_FAILED as EXIT_DAMAGED
from taskade_async._cli_common import EXIT_OK, Subparsers
from taskade_async.export._verify import verify_export

__all__ = ["add_verify_command"]


def add_verify_command(commands: Subparsers) -> None:
    """Add ``verify`` to the top-level subparsers."""
    parser = commands.add_parser(
        "verify",
        help="check an export folder against its manifest (offline)",
        description=(
            "Check EXPORT_DIR without the network: every file against manifest.json "
            "(SHA-256, size, record counts, media files), each record well-formed, no "
            "unfinished checkpoint. Exit status: 0 intact, 1 damaged (each problem "
            "named), 2 usage error."
        ),
    )
    parser.add_argument("export_dir", metavar="EXPORT_DIR", type=Path, help="an export folder")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    parser.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    if not args.export_dir.is_dir():
        return common.fail("taskade-async verify", f"{args.export_dir}: no such folder")
    report = verify_export(args.export_dir)
    if not report.ok:
        print(f"{args.export_dir}: damaged ({len(report.problems)} problem(s)):", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_DAMAGED
    if not args.quiet:
        manifest = report.manifest
        assert manifest is not None
        records = sum(manifest.counts.values())
        print(f"{args.export_dir}: intact ({report.files} files, {records} records).")
        if manifest.errors:
            print(
                f"  {len(manifest.errors)} item(s) could not be exported (listed in "
                "manifest.json; `export --resume` fetches them again)."
            )
    return EXIT_OK
