"""Fixtures of the restore tests: a source account with its export, and a target account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from taskade_async.testing import FakeTaskade
from tests.restore._world import export_source, fill_source


@pytest.fixture
async def source(tmp_path: Path) -> AsyncIterator[tuple[FakeTaskade, Path]]:
    """The source account and its export (with details)."""
    async with FakeTaskade() as fake:
        fill_source(fake)
        out = tmp_path / "export"
        await export_source(fake, out)
        yield fake, out


@pytest.fixture
async def target() -> AsyncIterator[FakeTaskade]:
    """Another account (another server, another token) to restore into."""
    async with FakeTaskade() as fake:
        yield fake
