"""The in-memory account behind a FakeTaskade: spaces, projects, agents, medias.

Plain records with no HTTP in them; handlers and builders both work on a
:class:`State`. Lookups raise :class:`ApiProblem` 404 for unknown ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, TypeAlias, TypeVar

import attrs

from ._ids import IdFactory
from ._problems import lookup, not_found
from ._tree import FakeTask, TaskTree
from ._webhooks import Webhooks

__all__ = [
    "FakeAgent",
    "FakeConvo",
    "FakeField",
    "FakeMedia",
    "FakeMember",
    "FakeProject",
    "FakeSpace",
    "FakeTemplate",
    "State",
    "TaskSpec",
]

#: A task for the builders: its text, or (text, children).
TaskSpec: TypeAlias = "str | tuple[str, Sequence[TaskSpec]]"


class _Record(Protocol):
    id: str


_R = TypeVar("_R", bound=_Record)


def _by_id(records: Iterable[_R], kind: str, ident: str) -> _R:
    """The first of ``records`` with this id, or a 404 for an unknown id of ``kind``."""
    for record in records:
        if record.id == ident:
            return record
    raise not_found(kind, ident)


@attrs.define(eq=False)
class FakeSpace:
    """A workspace (``workspace_id`` is None) or a folder inside one."""

    id: str
    name: str
    workspace_id: str | None = None

    @property
    def is_workspace(self) -> bool:
        """True for a workspace, False for a folder."""
        return self.workspace_id is None

    @property
    def root_id(self) -> str:
        """The id of the workspace this space belongs to (its own for a workspace)."""
        return self.workspace_id or self.id


@attrs.define(eq=False)
class FakeMember:
    """A user as the API shows one: a handle and a display name."""

    handle: str
    display_name: str

    def to_json(self) -> dict[str, Any]:
        """The API's ``User`` shape."""
        return {"handle": self.handle, "displayName": self.display_name}


@attrs.define(eq=False)
class FakeField:
    """A custom field of a project: an id and its definition (the ``data`` object)."""

    id: str
    data: dict[str, Any]

    @property
    def type(self) -> str:
        """The field's type name, e.g. ``number`` or ``Select``."""
        return str(self.data["type"])

    def to_json(self) -> dict[str, Any]:
        """The API's ``Field`` shape."""
        return {"id": self.id, "data": self.data}


@attrs.define(eq=False)
class FakeProject:
    """A project: its task tree and what hangs on it."""

    id: str
    name: str
    space_id: str
    tree: TaskTree = attrs.Factory(TaskTree)
    completed: bool = False
    fields: list[FakeField] = attrs.Factory(list)
    members: list[FakeMember] = attrs.Factory(list)
    share: dict[str, str] | None = None
    viewed: int = 0

    def to_json(self) -> dict[str, Any]:
        """The API's ``Project`` shape."""
        return {"id": self.id, "name": self.name}

    def field(self, field_id: str) -> FakeField:
        """The field with this id, or a 404."""
        return _by_id(self.fields, "Field", field_id)

    def task(self, task_id: str) -> FakeTask:
        """The task with this id, or a 404."""
        return lookup(self.tree.by_id, "Task", task_id)


@attrs.define(eq=False)
class FakeTemplate:
    """A project template in a folder: a name and a task outline."""

    id: str
    name: str
    space_id: str
    tasks: list[TaskSpec] = attrs.Factory(list)

    def to_json(self) -> dict[str, Any]:
        """The API's ``ProjectTemplate`` shape."""
        return {"id": self.id, "name": self.name}


@attrs.define(eq=False)
class FakeConvo:
    """A conversation with an agent."""

    id: str
    agent_id: str
    status: str
    title: str
    data: dict[str, Any]
    transcript: str | None = None  # Markdown, for v2 getConversation

    def to_json(self) -> dict[str, Any]:
        """The API's ``Convo`` shape."""
        return {
            "id": self.id,
            "space_agent_id": self.agent_id,
            "status": self.status,
            "title": self.title,
            "data": self.data,
        }


@attrs.define(eq=False)
class FakeAgent:
    """An AI agent of a space, with its knowledge, conversations and public page."""

    id: str
    name: str
    space_id: str
    data: dict[str, Any]
    public_id: str | None = None
    preferences: dict[str, Any] = attrs.Factory(dict)
    conversation_starters: list[dict[str, str]] = attrs.Factory(list)
    knowledge_projects: list[str] = attrs.Factory(list)
    knowledge_medias: list[str] = attrs.Factory(list)
    convos: list[FakeConvo] = attrs.Factory(list)

    def convo(self, convo_id: str) -> FakeConvo:
        """The conversation with this id, or a 404."""
        return _by_id(self.convos, "Convo", convo_id)

    def to_json(self) -> dict[str, Any]:
        """The API's ``SpaceAgent`` shape."""
        return {"id": self.id, "name": self.name, "space_id": self.space_id, "data": self.data}

    def public_json(self) -> dict[str, Any]:
        """The public agent page's ``item``."""
        data: dict[str, Any] = {}
        avatar = self.data.get("avatar")
        if avatar is not None:
            data["avatar"] = avatar
        if self.conversation_starters:
            data["conversationStarters"] = self.conversation_starters
        return {"id": self.id, "name": self.name, "data": data, "preferences": self.preferences}


@attrs.define(eq=False)
class FakeMedia:
    """An uploaded file of a space."""

    id: str
    space_id: str
    filename: str
    content_type: str
    content: bytes
    file_id: str

    @property
    def kind(self) -> str:
        """image, video, audio, document or file, from the content type."""
        major = self.content_type.partition("/")[0]
        if major in ("image", "video", "audio"):
            return major
        if major == "text" or self.content_type in _DOCUMENT_TYPES:
            return "document"
        return "file"

    def to_json(self) -> dict[str, Any]:
        """The API's ``Media`` shape."""
        return {"id": self.id, "space_id": self.space_id, "kind": self.kind}


_DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/json",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)


class State:
    """Everything the fake account holds, keyed by id, in creation order."""

    def __init__(self, seed: int = 0) -> None:
        self.ids = IdFactory(seed)
        self.spaces: dict[str, FakeSpace] = {}
        self.projects: dict[str, FakeProject] = {}
        self.templates: dict[str, FakeTemplate] = {}
        self.agents: dict[str, FakeAgent] = {}
        self.medias: dict[str, FakeMedia] = {}
        self.members: dict[str, list[FakeMember]] = {}  # workspace id -> its people
        self.webhooks = Webhooks()  # v2: registered webhooks and their deliveries
        self.agent_credits: int | None = None  # v2 promptAgent: None = unlimited
        self._views = itertools.count(1)

    # -- lookups -----------------------------------------------------------

    def space(self, space_id: str) -> FakeSpace:
        """The workspace or folder with this id, or a 404."""
        return lookup(self.spaces, "Space", space_id)

    def workspace(self, workspace_id: str) -> FakeSpace:
        """The workspace with this id (not a folder), or a 404."""
        space = self.spaces.get(workspace_id)
        if space is None or not space.is_workspace:
            raise not_found("Workspace", workspace_id)
        return space

    def project(self, project_id: str) -> FakeProject:
        """The project with this id, or a 404."""
        return lookup(self.projects, "Project", project_id)

    def agent(self, agent_id: str) -> FakeAgent:
        """The agent with this id, or a 404."""
        return lookup(self.agents, "Agent", agent_id)

    def media(self, media_id: str) -> FakeMedia:
        """The media with this id, or a 404."""
        return lookup(self.medias, "Media", media_id)

    def template(self, template_id: str) -> FakeTemplate:
        """The template with this id, or a 404."""
        return lookup(self.templates, "Template", template_id)

    def workspace_members(self, space: FakeSpace) -> list[FakeMember]:
        """The people of the workspace ``space`` belongs to."""
        return self.members.setdefault(space.root_id, [])

    def mark_viewed(self, project: FakeProject) -> None:
        """Note that ``project`` was just opened (for ``me/projects`` sorting)."""
        project.viewed = next(self._views)

    def _id(self, given: str | None) -> str:
        if given is None:
            return self.ids.new()
        self.ids.reserve(given)
        return given

    # -- builders ----------------------------------------------------------

    def add_space(self, name: str, workspace_id: str | None, space_id: str | None) -> FakeSpace:
        """Create a workspace (``workspace_id`` None) or a folder of one."""
        if workspace_id is not None:
            self.workspace(workspace_id)
        space = FakeSpace(self._id(space_id), name, workspace_id)
        self.spaces[space.id] = space
        if workspace_id is None:
            self.members.setdefault(space.id, [])
        return space

    def add_project(
        self, space: FakeSpace, name: str, project_id: str | None = None
    ) -> FakeProject:
        """Create an empty project in ``space``; its members are the workspace's people."""
        project = FakeProject(self._id(project_id), name, space.id)
        project.members.extend(self.workspace_members(space))
        self.projects[project.id] = project
        return project

    def new_task(self, text: str, task_id: str | None = None) -> FakeTask:
        """A task record with a fresh id (a UUID, as live task ids are), not yet in any tree."""
        if task_id is None:
            return FakeTask(self.ids.new_uuid(), text)
        return FakeTask(self._id(task_id), text)

    def add_outline(self, project: FakeProject, outline: Sequence[TaskSpec]) -> list[FakeTask]:
        """Append a nested outline of tasks at the end of ``project``; return them in order."""
        made: list[FakeTask] = []
        tree = project.tree
        # Iterative, parents before children, each level in the given order.
        work: list[tuple[FakeTask | None, TaskSpec]] = [(None, spec) for spec in reversed(outline)]
        while work:
            parent, spec = work.pop()
            children: Sequence[TaskSpec]
            if isinstance(spec, str):
                text, children = spec, ()
            else:
                text, children = spec
            task = self.new_task(text)
            tree.append_bulk(task, parent)
            made.append(task)
            work.extend((task, child) for child in children[::-1])
        return made
