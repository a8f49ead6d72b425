"""Bulk export of a Taskade account to JSON Lines files, resumable after interruption.

``await export(session, out_dir, ...)`` writes the files and returns the
:class:`Manifest`; ``async for record in iter_records(session, ...)`` streams
the same records to your own store.
"""

from taskade_async.export._engine import ExportError, export, iter_records
from taskade_async.export._manifest import Manifest
from taskade_async.export._progress import Progress
from taskade_async.export._records import RECORD_TYPES, ItemError, Record
from taskade_async.export._store import FileStat

__all__ = [
    "RECORD_TYPES",
    "ExportError",
    "FileStat",
    "ItemError",
    "Manifest",
    "Progress",
    "Record",
    "export",
    "iter_records",
]
