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
from ._state import Agent, Convo, Field, Media, Member, Project, Space, Template
from ._tree import Task

__all__ = [
    "Agent",
    "Convo",
    "FakeTaskade",
    "Fault",
    "FaultKind",
    "Field",
    "Media",
    "Member",
    "OAuthClient",
    "OAuthCounters",
    "Project",
    "RandomFaults",
    "RecordedRequest",
    "Space",
    "Task",
    "Template",
]
