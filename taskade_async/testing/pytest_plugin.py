"""pytest fixtures for FakeTaskade (opt-in).

Enable in a ``conftest.py``::

    pytest_plugins = ("taskade_async.testing.pytest_plugin",)

then take ``taskade_fake`` (a started :class:`FakeTaskade`, closed after the
test) or ``taskade_session`` (a :class:`taskade_async.Session` on that fake).
Both need an asyncio test runner such as pytest-asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from taskade_async import Session

from ._fake import FakeTaskade

__all__ = ["taskade_fake", "taskade_session"]


@pytest_asyncio.fixture
async def taskade_fake() -> AsyncIterator[FakeTaskade]:
    """A started FakeTaskade on 127.0.0.1, empty (call ``load_demo()`` for data)."""
    async with FakeTaskade() as fake:
        yield fake


@pytest_asyncio.fixture
async def taskade_session(taskade_fake: FakeTaskade) -> AsyncIterator[Session]:
    """A taskade_async Session talking to ``taskade_fake`` with its personal token."""
    async with Session(token=taskade_fake.token, base_url=taskade_fake.base_url) as session:
        yield session
