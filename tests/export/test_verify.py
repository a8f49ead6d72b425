"""``verify``: a backup checked offline against its manifest, each problem named."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from taskade_async import Session
from taskade_async.export import export, verify_export
from taskade_async.export._store import STATE_DIR
from tests._cli import run as _run


@pytest.fixture
async def backup(session: Session, tmp_path: Path) -> Path:
    """A finished export with details and media."""
    out = tmp_path / "backup"
    await export(session, out, details=True, media=True)
    return out


def _flip_byte(path: Path, at: int | None = None) -> None:
    """Change one bit of one byte of ``path`` (by default inside the first task's text)."""
    data = bytearray(path.read_bytes())
    if at is None:
        at = data.index(b"Task ") + 1
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


async def test_an_intact_backup_verifies(backup: Path) -> None:
    """A fresh export has no problem, and every record and media file was checked."""
    report = verify_export(backup)
    assert report.problems == []
    assert report.ok
    assert report.files == 14 + 10  # every record type, and the media files


async def test_one_changed_byte_is_named(backup: Path) -> None:
    """One byte changed in tasks.jsonl (same size) is reported as a SHA-256 mismatch."""
    _flip_byte(backup / "tasks.jsonl")
    assert verify_export(backup).problems == ["tasks.jsonl: SHA-256 differs from the manifest's"]


async def test_a_changed_media_file_is_named(backup: Path) -> None:
    """A media file whose content changed is named with its path."""
    media = sorted((backup / "media").rglob("*.txt"))[0]
    _flip_byte(media, 0)
    name = media.relative_to(backup).as_posix()
    assert verify_export(backup).problems == [f"{name}: SHA-256 differs from the manifest's"]


async def test_missing_extra_and_truncated_files_are_named(backup: Path) -> None:
    """A missing file, an unlisted .jsonl and a cut file (size, count, no final newline)."""
    (backup / "agents.jsonl").unlink()
    (backup / "stray.jsonl").write_bytes(b"")
    notes = backup / "task_notes.jsonl"
    notes.write_bytes(notes.read_bytes()[:-5])
    problems = verify_export(backup).problems
    assert "agents.jsonl: missing" in problems
    assert "stray.jsonl: not listed in the manifest" in problems
    cut = [p for p in problems if p.startswith("task_notes.jsonl")]
    assert any("bytes, the manifest says" in p for p in cut)
    assert any("no newline at the end of the file" in p for p in cut)
    assert any("records, the manifest says" in p for p in cut) is False


async def test_malformed_records_are_named_even_when_the_manifest_agrees(backup: Path) -> None:
    """A line that is not a record is a problem even if the manifest was rewritten to match."""
    path = backup / "projects.jsonl"
    data = path.read_bytes() + b'{"projectId":"x","oops":1,"data":{}}\n[1]\n'
    path.write_bytes(data)
    manifest = json.loads((backup / "manifest.json").read_bytes())
    stat = manifest["files"]["projects.jsonl"]
    stat.update(
        bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), records=stat["records"] + 2
    )
    (backup / "manifest.json").write_text(json.dumps(manifest))
    lines = stat["records"]
    assert verify_export(backup).problems == [
        f"projects.jsonl: line {lines - 1}: unknown keys ['oops']",
        f'projects.jsonl: line {lines}: not a record (an object with "data")',
    ]


async def test_an_unfinished_or_unreadable_export_is_damaged(backup: Path) -> None:
    """A checkpoint left behind, and a manifest that is not one, are both named."""
    (backup / STATE_DIR).mkdir()
    (backup / "manifest.json").write_bytes(b"[]")
    assert verify_export(backup).problems == [
        f"{STATE_DIR}/: an unfinished export's checkpoint (run it with --resume)",
        "manifest.json: not an export's manifest (not a JSON object)",
    ]


async def test_cli_verify_exit_status(backup: Path, tmp_path: Path) -> None:
    """The command exits 0 on an intact backup, 1 naming each problem, 2 on a missing folder."""
    intact = await _run("verify", str(backup))
    assert intact.code == 0, intact.stderr
    assert "intact" in intact.stdout
    _flip_byte(backup / "tasks.jsonl")
    damaged = await _run("verify", str(backup))
    assert damaged.code == 1
    assert "tasks.jsonl: SHA-256 differs from the manifest's" in damaged.stderr
    missing = await _run("verify", str(tmp_path / "nowhere"))
    assert missing.code == 2
