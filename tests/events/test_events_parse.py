"""events.parse: one typed class per event, inferred from the payload's keys."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest

from taskade_async import events

PROJECT = {
    "spaceName": "Team",
    "spaceId": "s1",
    "projectName": "Roadmap",
    "projectId": "p1",
    "creatorName": "Ann",
}
PAYLOADS: dict[str, dict[str, Any]] = {
    "task.due": {
        "spaceId": "s1",
        "spaceName": "Team",
        "projectId": "p1",
        "projectName": "Roadmap",
        "id": "t1",
        "text": "Ship it",
        "isCompleted": False,
        "assignees": ["bob"],
        "taskStartDate": "2026-12-01",
        "taskStartTime": "09:00",
        "taskStartTimezone": "UTC",
        "taskEndDate": "2026-12-02",
        "taskEndTime": None,
        "taskEndTimezone": None,
    },
    "task.assigned": {
        "projectName": "Roadmap",
        "projectId": "p1",
        "assignerName": "Ann",
        "nodes": [
            {"nodeId": "t1", "nodeText": "Ship it", "isCompleted": False, "assignees": ["bob"]}
        ],
    },
    "comment.created": {
        "projectName": "Roadmap",
        "projectId": "p1",
        "nodeId": "t1",
        "nodeText": "Ship it",
        "commenterDisplayName": "Ann",
        "commenterHandle": "ann",
        "commentBody": "Looks good",
        "commentBodyType": "text",
        "assignees": [],
        "mentionedHandles": ["bob"],
    },
    "project.created": PROJECT,
    "project.assigned": {
        **PROJECT,
        "assignerName": "Ann",
        "assigneeName": "Bob",
        "assigneeId": "u2",
    },
    "project.joined": {
        "spaceId": "s1",
        "projectName": "Roadmap",
        "projectId": "p1",
        "joinerName": "Cid",
        "joinerUserId": "u3",
    },
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_each_event_is_recognised_from_its_keys(name: str) -> None:
    """Each of the six documented payloads parses as its own class, named after the event."""
    event = events.parse(json.dumps(PAYLOADS[name]).encode())
    assert event.name == name
    assert type(event) in events.EVENTS
    assert event.extra == {}
    assert event.raw == PAYLOADS[name]


def test_fields_are_snake_case_and_typed() -> None:
    """Wire keys become snake_case attributes; lists become tuples; nulls become None."""
    due = events.parse(PAYLOADS["task.due"])
    assert isinstance(due, events.TaskDue)
    assert (due.id, due.text, due.is_completed) == ("t1", "Ship it", False)
    assert due.assignees == ("bob",)
    assert (due.task_start_date, due.task_start_timezone) == ("2026-12-01", "UTC")
    assert due.task_end_time is None
    comment = events.parse(PAYLOADS["comment.created"])
    assert isinstance(comment, events.CommentCreated)
    assert comment.commenter_display_name == "Ann"
    assert comment.mentioned_handles == ("bob",)
    joined = events.parse(PAYLOADS["project.joined"])
    assert isinstance(joined, events.ProjectJoined)
    assert joined.joiner_user_id == "u3"


def test_task_assigned_nodes_are_typed() -> None:
    """The nodes of task.assigned are TaskNode objects, with their own unknown keys kept."""
    payload = {**PAYLOADS["task.assigned"]}
    payload["nodes"] = [*payload["nodes"], {"nodeId": "t2", "color": "red"}]
    event = events.parse(payload)
    assert isinstance(event, events.TaskAssigned)
    first, second = event.nodes
    assert first == events.TaskNode(
        node_id="t1", node_text="Ship it", is_completed=False, assignees=("bob",)
    )
    assert (second.node_id, second.node_text, second.assignees) == ("t2", None, ())
    assert second.extra == {"color": "red"}


def test_project_assigned_beats_project_created() -> None:
    """project.assigned (project.created's keys and more) is the most specific match."""
    event = events.parse(PAYLOADS["project.assigned"])
    assert isinstance(event, events.ProjectAssigned)
    assert not isinstance(event, events.ProjectCreated)
    assert (event.creator_name, event.assignee_name, event.assignee_id) == ("Ann", "Bob", "u2")
    assert isinstance(events.parse(PROJECT), events.ProjectCreated)
    # Without creatorName, assigneeId alone still says project.assigned.
    partial = {k: v for k, v in PAYLOADS["project.assigned"].items() if k != "creatorName"}
    assert isinstance(events.parse(partial), events.ProjectAssigned)


def test_unknown_fields_are_kept() -> None:
    """Keys this version does not know, and known keys of another type, go to extra."""
    payload = {**PROJECT, "newField": [1, 2], "creatorName": {"first": "Ann"}, "projectId": 42}
    event = events.parse(payload)
    assert isinstance(event, events.ProjectCreated)
    assert event.extra == {"newField": [1, 2], "creatorName": {"first": "Ann"}}
    assert event.creator_name is None
    assert event.project_id == "42"  # a numeric id, as text


def test_nulls_are_tolerated() -> None:
    """Null values give None fields and empty tuples, never an error."""
    event = events.parse({"projectName": None, "nodes": None, "assignerName": None})
    assert isinstance(event, events.TaskAssigned)
    assert (event.project_name, event.nodes, event.assigner_name) == (None, (), None)


@pytest.mark.parametrize(
    "payload",
    [
        {"hello": "world"},
        {"projectId": "p1", "projectName": "only shared keys"},
        {},
    ],
)
def test_no_marker_gives_unknown_event(payload: dict[str, Any]) -> None:
    """A payload with no event's marker key is an UnknownEvent carrying the raw dict."""
    event = events.parse(payload)
    assert isinstance(event, events.UnknownEvent)
    assert event.name == "unknown"
    assert event.raw == payload
    assert event.extra == payload


def test_a_tie_between_events_is_unknown() -> None:
    """Markers of two unrelated events, equally matched, give an UnknownEvent, not a guess."""
    event = events.parse({"nodes": [], "joinerName": "Cid"})
    assert isinstance(event, events.UnknownEvent)


@pytest.mark.parametrize(
    "body", [b"[1, 2]", b'"text"', b"null", b"{not json", b"\xff\xfe", b"[" * 100_000, b""]
)
def test_a_body_that_is_not_an_object_raises_payload_error(body: bytes) -> None:
    """Anything but a JSON object raises PayloadError, a ValueError and a ProtocolError."""
    with pytest.raises(events.PayloadError) as info:
        events.parse(body)
    assert isinstance(info.value, ValueError)


def test_parse_takes_text_too() -> None:
    """parse accepts the body as text as well as bytes or a dict."""
    assert isinstance(events.parse(json.dumps(PROJECT)), events.ProjectCreated)


def test_events_all_is_its_public_surface() -> None:
    """events.__all__ names exist, and every public name of the module is listed."""
    for name in events.__all__:
        assert hasattr(events, name), name
    public = {
        name
        for name, value in vars(events).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(events.__all__)
