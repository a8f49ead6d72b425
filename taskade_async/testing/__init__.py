"""FakeTaskade: an in-memory Taskade API v1 server for your tests.

    from taskade_async.testing import FakeTaskade

    async with FakeTaskade() as fake:
        fake.load_demo()
        ...  # talk to fake.base_url with fake.token

Enable the pytest fixtures with ``pytest_plugins = ("taskade_async.testing.pytest_plugin",)``.
"""

from ._fake import FakeTaskade
from ._faults import Fault, FaultKind, RandomFaults
from ._oauth import OAuthClient, OAuthCounters
from ._server import RecordedRequest
from ._state import (
    FakeAgent,
    FakeConvo,
    FakeField,
    FakeMedia,
    FakeMember,
    FakeProject,
    FakeSpace,
    FakeTemplate,
)
from ._tree import FakeTask

__all__ = [
    "FakeAgent",
    "FakeConvo",
    "FakeField",
    "FakeMedia",
    "FakeMember",
    "FakeProject",
    "FakeSpace",
    "FakeTask",
    "FakeTaskade",
    "FakeTemplate",
    "Fault",
    "FaultKind",
    "OAuthClient",
    "OAuthCounters",
    "RandomFaults",
    "RecordedRequest",
]
