"""Bulk export of a Taskade account to JSON Lines files, resumable after interruption.

``await export(session, out_dir, ...)`` writes the files and returns the
:class:`Manifest`; ``async for record in iter_records(session, ...)`` streams
the same records to your own store; ``verify_export(out_dir)`` checks a backup
offline against its manifest; ``await restore(session, out_dir, folder_id=...)``
rebuilds its projects in a folder of any account.

Layout of ``out_dir``:

- ``<type>.jsonl`` for each record type (:data:`RECORD_TYPES`): one JSON object
  per line, ``{<parent ids>..., "data": <the server's object>}``. The parent
  ids come first, outermost first, from ``workspaceId``, ``folderId``,
  ``projectId``, ``taskId``, ``mediaId`` (those that apply); ``data`` is the
  JSON object exactly as the server sent it (re-serialized compactly, UTF-8).
  A project in a workspace's own space has ``"folderId": null``; a project
  that only ``me/projects`` lists has both null.
- ``media/<space id>/<media id>/<file name>`` with ``media=True``, each
  described by a ``media_files.jsonl`` record (``path``, ``bytes``,
  ``sha256``, ``contentType``, ``filename``).
- ``manifest.json``: versions, options, counts and SHA-256 per file, timings,
  requests, retries, 429s and every item that could not be exported.
- ``.taskade-export/`` only while an export is unfinished: the checkpoint.

Files are in a fixed order (the walk's order, whatever the concurrency), so
an interrupted and resumed export is byte-identical to an uninterrupted one.
"""

from taskade_async.export._engine import ExportError, export, iter_records
from taskade_async.export._manifest import Manifest, MediaStat
from taskade_async.export._progress import Progress
from taskade_async.export._records import PARENT_KEYS, RECORD_TYPES, ItemError, Record
from taskade_async.export._restore import restore
from taskade_async.export._restore_plan import RestorePlan
from taskade_async.export._restore_report import RestoreReport
from taskade_async.export._store import FileStat
from taskade_async.export._verify import VerifyReport, verify_export

__all__ = [
    "PARENT_KEYS",
    "RECORD_TYPES",
    "ExportError",
    "FileStat",
    "ItemError",
    "Manifest",
    "MediaStat",
    "Progress",
    "Record",
    "RestorePlan",
    "RestoreReport",
    "VerifyReport",
    "export",
    "iter_records",
    "restore",
    "verify_export",
]
