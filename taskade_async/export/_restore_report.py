"""The report of a restore (``restore.json``) and what it says is not restored, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import attrs

from taskade_async.export._restore_plan import RestorePlan

__all__ = ["NOT_RESTORED", "REPORT", "RestoreReport", "differences"]

#: The report's file name in the export folder.
REPORT: Final = "restore.json"
#: Why each kind of exported data is not restored.
NOT_RESTORED: Final = {
    "task_field_values": "no API creates a custom field, and a new project has none",
    "fields": "no API creates a custom field",
    "blocks": "blocks are not tasks; no API creates them",
    "agents": "agents are not restored (their conversations cannot be)",
    "medias": "media files are not restored by restore",
    "share links": "a share link cannot be set through the API",
}


@attrs.define(slots=True, kw_only=True)
class RestoreReport:
    """What a restore did, over every run of it (``restore.json``)."""

    export_dir: Path
    folder_id: str
    base_url: str
    dry_run: bool = False
    plan: RestorePlan | None = None
    #: Old project id -> new project id.
    projects: dict[str, str] = attrs.Factory(dict)
    restored: dict[str, int] = attrs.Factory(dict)
    #: Kind -> {"count": n, "reason": why}.
    skipped: dict[str, dict[str, Any]] = attrs.Factory(dict)
    #: Old project id -> differences between the export and what was read back.
    mismatches: dict[str, list[str]] = attrs.Factory(dict)
    errors: list[str] = attrs.Factory(list)
    runs: int = 0
    requests: int = 0

    @property
    def ok(self) -> bool:
        """Whether every restorable item was restored and verified."""
        return not self.errors and not any(self.mismatches.values())

    def skip(self, kind: str, reason: str, count: int = 1) -> None:
        """Count ``count`` items of ``kind`` not restored, and why."""
        entry = self.skipped.setdefault(kind, {"count": 0, "reason": reason})
        entry["count"] += count

    def as_json(self) -> dict[str, Any]:
        """The report as ``restore.json`` holds it."""
        return {
            "target": {"baseUrl": self.base_url, "folderId": self.folder_id},
            "complete": self.ok,
            "runs": self.runs,
            "requests": self.requests,
            "projects": self.projects,
            "restored": self.restored,
            "skipped": self.skipped,
            "mismatches": {k: v for k, v in self.mismatches.items() if v},
            "errors": self.errors,
        }


def differences(
    want: list[tuple[int, str, bool]], got: list[tuple[int, str, bool]], limit: int = 5
) -> list[str]:
    """The first differences between two normalized trees, in words."""
    out: list[str] = []
    if len(want) != len(got):
        out.append(f"{len(got)} tasks, the export has {len(want)}")
    for i, (a, b) in enumerate(zip(want, got, strict=False)):
        if a != b and len(out) < limit:
            out.append(f"task {i + 1}: {b!r}, the export has {a!r}")
    return out
