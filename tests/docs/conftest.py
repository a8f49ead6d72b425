"""The world every docs snippet and example runs in: FakeTaskade with the demo account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from taskade_async.testing import FakeTaskade
from tests.docs.snippets import PLACEHOLDER_TOKEN


@pytest_asyncio.fixture
async def demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[FakeTaskade]:
    """A started FakeTaskade with the demo account, named by TASKADE_TOKEN/TASKADE_BASE_URL.

    The working directory is a fresh temporary folder, for the files snippets write.
    """
    async with FakeTaskade() as fake:
        fake.load_demo()
        fake.add_token(PLACEHOLDER_TOKEN)
        monkeypatch.setenv("TASKADE_TOKEN", fake.token)
        monkeypatch.setenv("TASKADE_BASE_URL", str(fake.base_url))
        monkeypatch.chdir(tmp_path)
        # dlt (docs/warehouse.rst): its pipelines under tmp_path, and no telemetry.
        monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
        monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        yield fake
