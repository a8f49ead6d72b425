"""An export's files do not depend on the order in which concurrent downloads finish."""

from __future__ import annotations

from pathlib import Path

import taskade_async as tk
from taskade_async.export import export
from taskade_async.testing import FakeTaskade


async def _export(fake: FakeTaskade, out: Path) -> bytes:
    async with tk.Session(token=fake.token, base_url=fake.base_url) as s:
        manifest = await export(s, out, media=True)
    assert manifest.errors == []
    return (out / "media_files.jsonl").read_bytes()


async def test_media_files_order_is_the_same_when_a_download_is_slow(
    taskade_fake: FakeTaskade, tmp_path: Path
) -> None:
    """A slow first download leaves media_files.jsonl byte-identical to a run without it."""
    space = taskade_fake.add_workspace("QA")
    medias = [taskade_fake.add_media(space, f"f{i}.txt", b"x" * i) for i in range(1, 6)]
    clean = await _export(taskade_fake, tmp_path / "clean")
    for media in medias:
        taskade_fake.delay_next(0.2, path=f"/api/v1/medias/{media.id}/download")
        slow = await _export(taskade_fake, tmp_path / media.id)
        assert slow == clean
