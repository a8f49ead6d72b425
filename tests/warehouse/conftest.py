"""Fixtures of the warehouse tests: dlt never phones home, and a small account to load."""

from __future__ import annotations

import pytest

from taskade_async.testing import FakeTaskade
from tests.warehouse._account import build_account


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt's telemetry off: the tests send nothing off the loopback."""
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture
def account(taskade_fake: FakeTaskade) -> FakeTaskade:
    """The running fake with the small account of :func:`build_account`."""
    build_account(taskade_fake)
    return taskade_fake
