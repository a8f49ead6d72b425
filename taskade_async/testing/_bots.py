"""What a FakeTaskade sends to webhooks: event payloads, and the builders that cause them.

The API causes two events: ``project.created`` (creating or copying a project,
from Markdown or a template) and ``task.assigned`` (setting a task's
assignees). The other four come from builders: :meth:`BotBuilders.simulate_task_due`,
``simulate_comment``, ``simulate_project_assigned`` and ``simulate_project_joined``.
Payloads are flat JSON objects, in the shapes Taskade documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Final

from ._call import Call, Reply
from ._state import FakeProject, State
from ._tree import FakeTask
from ._webhooks import EVENTS, Delivery, Hook

__all__ = ["CAUSES", "BotBuilders"]

#: Who the fake account's own actions are by (creatorName, assignerName).
OWNER_NAME: Final = "Fake Owner"


def _spaces(state: State, project: FakeProject) -> list[str]:
    """The space an event in ``project`` is in: its own only (a workspace id in a webhook's
    ``spaceIds`` does not cover that workspace's folders)."""
    return [state.space(project.space_id).id]


def project_event(state: State, project: FakeProject) -> dict[str, Any]:
    """The ``project.created`` payload (``project.assigned`` adds three fields)."""
    space = state.space(project.space_id)
    return {
        "spaceName": space.name,
        "spaceId": space.id,
        "projectName": project.name,
        "projectId": project.id,
        "creatorName": OWNER_NAME,
    }


def _node(task: FakeTask) -> dict[str, Any]:
    return {
        "nodeId": task.id,
        "nodeText": task.text,
        "isCompleted": task.completed,
        "assignees": list(task.assignees),
    }


def _emit(state: State, event: str, project: FakeProject, payload: dict[str, Any]) -> int:
    return state.webhooks.emit(event, _spaces(state, project), payload)


def _project_created(call: Call, reply: Reply) -> None:
    assert isinstance(reply, dict)
    project = call.state.project(reply["item"]["id"])
    _emit(call.state, "project.created", project, project_event(call.state, project))


def _task_assigned(call: Call, reply: Reply) -> None:
    project = call.state.project(call.args["projectId"])
    task = project.task(call.args["taskId"])
    if task.assignees:
        payload = {
            "projectName": project.name,
            "projectId": project.id,
            "assignerName": OWNER_NAME,
            "nodes": [_node(task)],
        }
        _emit(call.state, "task.assigned", project, payload)


#: operationId -> what it causes, run after its handler succeeded.
CAUSES: Final[dict[str, Callable[[Call, Reply], None]]] = {
    "projectCreate": _project_created,
    "projectCopy": _project_created,
    "projectFromTemplate": _project_created,
    "workspaceCreateProject": _project_created,
    "taskPutAssignees": _task_assigned,
}


class BotBuilders:
    """Webhooks, their deliveries and fault switches, simulated events, agent credits."""

    _state: State  # set by Builders

    # -- webhooks ------------------------------------------------------------------

    @property
    def webhooks(self) -> list[Hook]:
        """The registered webhooks, oldest first (``hook.secret`` is their signing secret)."""
        return list(self._state.webhooks.hooks.values())

    def add_webhook(
        self, target_url: str, events: Sequence[str] = EVENTS, space_ids: Sequence[str] = ()
    ) -> Hook:
        """Register a webhook without HTTP (the API's checks apply); ``.secret`` signs."""
        return self._state.webhooks.create(target_url, events, space_ids)

    @property
    def webhooks_require_plan(self) -> bool:
        """If True, creating a webhook answers 402 (a plan without webhooks); delete works."""
        return self._state.webhooks.require_plan

    @webhooks_require_plan.setter
    def webhooks_require_plan(self, on: bool) -> None:
        self._state.webhooks.require_plan = on

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery done so far, in the order each finished, with its status."""
        return list(self._state.webhooks.deliveries)

    async def deliveries_idle(self) -> None:
        """Wait until every delivery started so far has been sent (or has failed)."""
        await self._state.webhooks.idle()

    def duplicate_next_delivery(self, times: int = 1) -> None:
        """Send the next ``times`` deliveries twice, byte for byte."""
        self._state.webhooks.duplicate_next(times)

    def bad_signature_next_delivery(self, times: int = 1) -> None:
        """Sign the next ``times`` deliveries with a wrong secret."""
        self._state.webhooks.bad_signature_next(times)

    def hold_next_delivery(self) -> asyncio.Event:
        """Hold the next delivery until the returned event is set; later ones overtake it."""
        return self._state.webhooks.hold_next()

    # -- simulated events (each returns how many webhooks it was sent to) ----------

    def simulate_task_due(self, project_id: str, task_id: str) -> int:
        """A task's due date arrives: ``task.due``."""
        project = self._state.project(project_id)
        task = project.task(task_id)
        space = self._state.space(project.space_id)
        date = task.date or {}
        start, end = date.get("start") or {}, date.get("end") or {}
        payload = {
            "spaceId": space.id,
            "spaceName": space.name,
            "projectId": project.id,
            "projectName": project.name,
            "id": task.id,
            "text": task.text,
            "isCompleted": task.completed,
            "assignees": list(task.assignees),
            "taskStartDate": start.get("date"),
            "taskStartTime": start.get("time"),
            "taskStartTimezone": start.get("timezone"),
            "taskEndDate": end.get("date"),
            "taskEndTime": end.get("time"),
            "taskEndTimezone": end.get("timezone"),
        }
        return _emit(self._state, "task.due", project, payload)

    def simulate_comment(
        self,
        project_id: str,
        task_id: str,
        body: str,
        *,
        handle: str = "commenter",
        display_name: str | None = None,
        body_type: str = "text/plain",
        mentions: Sequence[str] = (),
    ) -> int:
        """Someone comments on a task: ``comment.created``."""
        project = self._state.project(project_id)
        task = project.task(task_id)
        payload = {
            "projectName": project.name,
            "projectId": project.id,
            "nodeId": task.id,
            "nodeText": task.text,
            "commenterDisplayName": display_name or handle,
            "commenterHandle": handle,
            "commentBody": body,
            "commentBodyType": body_type,
            "assignees": list(task.assignees),
            "mentionedHandles": list(mentions),
        }
        return _emit(self._state, "comment.created", project, payload)

    def simulate_project_assigned(
        self, project_id: str, assignee_name: str, *, assignee_id: str | None = None
    ) -> int:
        """The account's owner assigns someone to a project: ``project.assigned``."""
        project = self._state.project(project_id)
        payload = {
            **project_event(self._state, project),
            "assignerName": OWNER_NAME,
            "assigneeName": assignee_name,
            "assigneeId": assignee_id or self._state.ids.new(),
        }
        return _emit(self._state, "project.assigned", project, payload)

    def simulate_project_joined(
        self, project_id: str, joiner_name: str, *, joiner_id: str | None = None
    ) -> int:
        """Someone joins a project: ``project.joined``."""
        project = self._state.project(project_id)
        payload = {
            "spaceId": project.space_id,
            "projectName": project.name,
            "projectId": project.id,
            "joinerName": joiner_name,
            "joinerUserId": joiner_id or self._state.ids.new(),
        }
        return _emit(self._state, "project.joined", project, payload)

    # -- agents --------------------------------------------------------------------

    @property
    def agent_credits(self) -> int | None:
        """AI credits left for ``promptAgent`` (None: unlimited; at 0 it answers 402)."""
        return self._state.agent_credits

    @agent_credits.setter
    def agent_credits(self, credits: int | None) -> None:
        self._state.agent_credits = credits
