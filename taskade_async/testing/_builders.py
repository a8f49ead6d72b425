"""Builders and typed accessors for a FakeTaskade's in-memory account."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

from ._demo import build_demo
from ._handlers_agents import new_agent
from ._handlers_files import add_media
from ._handlers_projects import copy_project
from ._state import (
    FakeAgent,
    FakeConvo,
    FakeField,
    FakeMedia,
    FakeMember,
    FakeProject,
    FakeSpace,
    FakeTemplate,
    State,
    TaskSpec,
)
from ._tree import FakeTask, TreeError

__all__ = ["Builders"]


class Builders:
    """Create and inspect data without HTTP (records or their ids are accepted)."""

    def __init__(self, state: State) -> None:
        self._state = state

    # -- builders --------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The raw in-memory state (for inspection beyond the typed accessors)."""
        return self._state

    def add_workspace(self, name: str, *, workspace_id: str | None = None) -> FakeSpace:
        """Create a workspace."""
        return self.state.add_space(name, None, workspace_id)

    def add_folder(
        self, workspace: FakeSpace | str, name: str, *, folder_id: str | None = None
    ) -> FakeSpace:
        """Create a folder in ``workspace``."""
        return self.state.add_space(name, _id(workspace), folder_id)

    def add_member(
        self, workspace: FakeSpace | str, handle: str, display_name: str | None = None
    ) -> FakeMember:
        """Add a person to a workspace and to every project already in it."""
        space = self.state.workspace(_id(workspace))
        member = FakeMember(handle, display_name or handle)
        self.state.workspace_members(space).append(member)
        for project in self.state.projects.values():
            if self.state.spaces[project.space_id].root_id == space.id:
                project.members.append(member)
        return member

    def add_project(
        self,
        space: FakeSpace | str,
        name: str,
        *,
        tasks: Sequence[TaskSpec] = (),
        task_count: int = 0,
        project_id: str | None = None,
        seed: int = 0,
    ) -> FakeProject:
        """Create a project, with tasks from a nested outline and/or ``task_count`` more.

        ``tasks`` items are a text or ``(text, children)``. ``task_count`` adds
        that many generated tasks, nested up to five levels; they are created
        in document order, so the tree lists them in creation order.
        """
        project = self.state.add_project(self.state.space(_id(space)), name, project_id)
        self.state.add_outline(project, tasks)
        if task_count:
            self._bulk_tasks(project, task_count, random.Random(seed))
        return project

    def _bulk_tasks(self, project: FakeProject, count: int, rng: random.Random) -> list[FakeTask]:
        tree = project.tree
        new_task = self.state.new_task
        path: list[FakeTask] = []  # the open ancestors of the next task
        made = []
        draw = rng.random
        for i in range(count):
            roll = draw()
            if path and roll < 0.25:
                path.pop()
            parent = path[-1] if path else None
            task = new_task(f"Task {i + 1}")
            tree.append_bulk(task, parent)
            made.append(task)
            if len(path) < 5 and roll > 0.6:
                path.append(task)
        return made

    def add_task(
        self,
        project: FakeProject | str,
        text: str,
        *,
        parent: FakeTask | str | None = None,
        placement: str = "beforeend",
        relative_to: FakeTask | str | None = None,
        completed: bool = False,
        note: str | None = None,
        date: dict[str, Any] | None = None,
        assignees: Iterable[str] = (),
        task_id: str | None = None,
    ) -> FakeTask:
        """Add one task: by default the last child of ``parent`` (or of the root).

        Give ``relative_to`` and ``placement`` for the API's placements instead.
        """
        proj = self.state.project(_id(project))
        if parent is not None and relative_to is not None:
            raise ValueError("give parent or relative_to, not both")
        reference_id = _id(relative_to if relative_to is not None else parent)
        reference = proj.task(reference_id) if reference_id else None
        task = self.state.new_task(text, task_id)
        task.completed = completed
        if note is not None:
            task.note = {"type": "text/markdown", "value": note}
        task.date = date
        task.assignees = list(assignees)
        try:
            proj.tree.insert(task, reference, placement if relative_to is not None else "beforeend")
        except TreeError as exc:
            raise ValueError(str(exc)) from exc
        return task

    def add_field(
        self, project: FakeProject | str, data: dict[str, Any], *, field_id: str | None = None
    ) -> FakeField:
        """Add a custom field (``data`` is the API's field definition) to a project."""
        proj = self.state.project(_id(project))
        field = FakeField(field_id or self.state.ids.new(), data)
        proj.fields.append(field)
        return field

    def add_template(
        self, space: FakeSpace | str, name: str, tasks: Sequence[TaskSpec] = ()
    ) -> FakeTemplate:
        """Add a project template to a folder or workspace."""
        space_obj = self.state.space(_id(space))
        template = FakeTemplate(self.state.ids.new(), name, space_obj.id, list(tasks))
        self.state.templates[template.id] = template
        return template

    def add_agent(
        self, space: FakeSpace | str, name: str, *, data: dict[str, Any] | None = None
    ) -> FakeAgent:
        """Add an agent (``data`` in the API's SpaceAgent ``data`` shape)."""
        agent_data = data if data is not None else {"commands": []}
        return new_agent(self.state, self.state.space(_id(space)), name, agent_data)

    def add_convo(
        self,
        agent: FakeAgent | str,
        title: str,
        *,
        status: str = "idle",
        llm: tuple[str, str] = ("openai", "gpt-4o"),
        ended_at: float | None = None,
    ) -> FakeConvo:
        """Add a conversation to an agent."""
        owner = self.state.agent(_id(agent))
        data: dict[str, Any] = {"llm": {"type": llm[0], "name": llm[1]}}
        if ended_at is not None:
            data["endedAt"] = ended_at
        convo = FakeConvo(self.state.ids.new(), owner.id, status, title, data)
        owner.convos.append(convo)
        return convo

    def add_media(
        self,
        space: FakeSpace | str,
        filename: str,
        content: bytes,
        content_type: str | None = None,
    ) -> FakeMedia:
        """Store a file in a space (content type guessed from the name if not given)."""
        return add_media(self.state, self.state.space(_id(space)), filename, content, content_type)

    def copy_project(
        self, project: FakeProject | str, space: FakeSpace | str, name: str
    ) -> FakeProject:
        """Deep-copy a project into a space, as the API's copy does."""
        return copy_project(
            self.state, self.state.project(_id(project)), self.state.space(_id(space)), name
        )

    def load_demo(self, seed: int = 0) -> None:
        """Add the deterministic demo account (see :mod:`taskade_async.testing._demo`)."""
        build_demo(self, seed)

    # -- inspection ------------------------------------------------------------------

    @property
    def workspaces(self) -> list[FakeSpace]:
        """All workspaces, in creation order."""
        return [s for s in self.state.spaces.values() if s.is_workspace]

    def folders(self, workspace: FakeSpace | str) -> list[FakeSpace]:
        """The folders of a workspace."""
        ws = _id(workspace)
        return [s for s in self.state.spaces.values() if s.workspace_id == ws]

    @property
    def projects(self) -> list[FakeProject]:
        """All projects, in creation order."""
        return list(self.state.projects.values())

    def project(self, project_id: str) -> FakeProject:
        """The project with this id (KeyError if unknown)."""
        try:
            return self.state.projects[project_id]
        except KeyError:
            raise KeyError(project_id) from None

    def tasks(self, project: FakeProject | str) -> list[FakeTask]:
        """A project's tasks in document order (depth first, parents first)."""
        return list(self.project(_id(project)).tree.order()[0])

    def task(self, project: FakeProject | str, task_id: str) -> FakeTask:
        """One task of a project (KeyError if unknown)."""
        return self.project(_id(project)).tree.by_id[task_id]

    def note(self, project: FakeProject | str, task_id: str) -> str | None:
        """The note text of a task, or None."""
        note = self.task(project, task_id).note
        return None if note is None else note["value"]

    @property
    def agents(self) -> list[FakeAgent]:
        """All agents, in creation order."""
        return list(self.state.agents.values())

    @property
    def medias(self) -> list[FakeMedia]:
        """All medias, in creation order."""
        return list(self.state.medias.values())

    @property
    def templates(self) -> list[FakeTemplate]:
        """All project templates, in creation order."""
        return list(self.state.templates.values())


def _id(thing: Any) -> str:
    """The id of a record or the id itself (None stays falsy: '')."""
    if thing is None:
        return ""
    if isinstance(thing, str):
        return thing
    ident = getattr(thing, "id", None)
    if not isinstance(ident, str):
        raise TypeError(f"expected a record or an id, not {type(thing).__name__}")
    return ident
