"""The fake's signed deliveries: what each event sends, to whom, and the fault switches."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import taskade_async as tk
from taskade_async.api import projects, tasks, webhooks
from taskade_async.testing import FakeProject, FakeSpace, FakeTaskade

from .conftest import Received, Receiver


def _valid(secret: str, got: Received) -> bool:
    """The receiver's own check: HMAC-SHA256 over the raw bytes, in constant time."""
    want = "sha256=" + hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
    return got.signature is not None and hmac.compare_digest(want, got.signature)


def _setup(fake: FakeTaskade) -> tuple[FakeSpace, FakeSpace, FakeProject]:
    ws = fake.add_workspace("Team")
    folder = fake.add_folder(ws, "Ops")
    fake.add_member(ws, "ada", "Ada L")
    project = fake.add_project(folder, "Launch", tasks=["write copy", "ship"])
    return ws, folder, project


async def test_creating_and_copying_a_project_delivers_project_created(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """projectCreate and projectCopy each POST a signed project.created to the target URL."""
    _ws, folder, project = _setup(taskade_fake)
    created = await webhooks.create(session, target_url=receiver.url(), events=["project.created"])
    new = await projects.create(
        session, folder_id=folder.id, content_type="text/markdown", content="# Plan\n- a\n"
    )
    assert new is not None
    await projects.copy(session, project.id, folder_id=folder.id, project_title="Copy")
    await taskade_fake.deliveries_idle()
    assert len(receiver.got) == 2
    for got in receiver.got:
        assert _valid(created.secret, got)
        assert got.content_type == "application/json"
        assert got.path == "/hook"
    first = json.loads(receiver.got[0].body)
    assert first == {
        "spaceName": "Ops",
        "spaceId": folder.id,
        "projectName": new.name,
        "projectId": new.id,
        "creatorName": "Fake Owner",
    }
    assert {json.loads(g.body)["projectName"] for g in receiver.got} == {new.name, "Copy"}
    assert [d.status for d in taskade_fake.deliveries] == [200, 200]
    assert all(d.event == "project.created" for d in taskade_fake.deliveries)


async def test_setting_assignees_delivers_task_assigned(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """taskPutAssignees POSTs task.assigned with the task as a node."""
    _, _, project = _setup(taskade_fake)
    task = taskade_fake.tasks(project)[0]
    hook = taskade_fake.add_webhook(receiver.url(), ["task.assigned"])
    await tasks.set_assignees(session, project.id, task.id, handles=["ada"])
    await taskade_fake.deliveries_idle()
    [got] = receiver.got
    assert _valid(hook.secret, got)
    assert json.loads(got.body) == {
        "projectName": "Launch",
        "projectId": project.id,
        "assignerName": "Fake Owner",
        "nodes": [
            {
                "nodeId": task.id,
                "nodeText": "write copy",
                "isCompleted": False,
                "assignees": ["ada"],
            }
        ],
    }


async def test_the_four_simulated_events(taskade_fake: FakeTaskade, receiver: Receiver) -> None:
    """task.due, comment.created, project.assigned and project.joined, in FACTS' shapes."""
    _ws, folder, project = _setup(taskade_fake)
    task = taskade_fake.tasks(project)[1]
    task.date = {"start": {"date": "2026-12-01", "time": "09:00", "timezone": "UTC"}}
    task.assignees = ["ada"]
    hook = taskade_fake.add_webhook(receiver.url())
    assert taskade_fake.simulate_task_due(project.id, task.id) == 1
    await taskade_fake.deliveries_idle()
    assert taskade_fake.simulate_comment(project.id, task.id, "LGTM @ada", mentions=["ada"]) == 1
    await taskade_fake.deliveries_idle()
    assert taskade_fake.simulate_project_assigned(project.id, "Ada L", assignee_id="u1") == 1
    await taskade_fake.deliveries_idle()
    assert taskade_fake.simulate_project_joined(project.id, "Bob", joiner_id="u2") == 1
    await taskade_fake.deliveries_idle()
    assert all(_valid(hook.secret, g) for g in receiver.got)
    due, comment, assigned, joined = (json.loads(g.body) for g in receiver.got)
    assert due == {
        "spaceId": folder.id,
        "spaceName": "Ops",
        "projectId": project.id,
        "projectName": "Launch",
        "id": task.id,
        "text": "ship",
        "isCompleted": False,
        "assignees": ["ada"],
        "taskStartDate": "2026-12-01",
        "taskStartTime": "09:00",
        "taskStartTimezone": "UTC",
        "taskEndDate": None,
        "taskEndTime": None,
        "taskEndTimezone": None,
    }
    assert set(comment) == {
        *("projectName", "projectId", "nodeId", "nodeText", "commenterDisplayName"),
        *("commenterHandle", "commentBody", "commentBodyType", "assignees", "mentionedHandles"),
    }
    assert comment["commentBody"] == "LGTM @ada"
    assert comment["mentionedHandles"] == ["ada"]
    assert assigned["assigneeName"] == "Ada L"
    assert assigned["assigneeId"] == "u1"
    assert assigned["assignerName"] == "Fake Owner"
    assert set(assigned) == {
        *("spaceName", "spaceId", "projectName", "projectId", "creatorName"),
        *("assignerName", "assigneeName", "assigneeId"),
    }
    assert joined == {
        "spaceId": folder.id,
        "projectName": "Launch",
        "projectId": project.id,
        "joinerName": "Bob",
        "joinerUserId": "u2",
    }
    assert [d.event for d in taskade_fake.deliveries] == [
        "task.due",
        "comment.created",
        "project.assigned",
        "project.joined",
    ]


async def test_deliveries_follow_events_and_spaces(
    taskade_fake: FakeTaskade, receiver: Receiver
) -> None:
    """Only webhooks subscribed to the event, in that space (or all spaces), get it; a
    workspace in spaceIds does not cover its folders."""
    ws, folder, project = _setup(taskade_fake)
    other = taskade_fake.add_workspace("Other")
    taskade_fake.add_webhook(receiver.url("/all"), ["project.joined"])
    taskade_fake.add_webhook(receiver.url("/ws"), ["project.joined"], [ws.id])
    taskade_fake.add_webhook(receiver.url("/folder"), ["project.joined"], [folder.id])
    taskade_fake.add_webhook(receiver.url("/other"), ["project.joined"], [other.id])
    taskade_fake.add_webhook(receiver.url("/due"), ["task.due"])
    assert taskade_fake.simulate_project_joined(project.id, "Bob") == 2
    top = taskade_fake.add_project(ws, "At the top")
    assert taskade_fake.simulate_project_joined(top.id, "Cy") == 2
    await taskade_fake.deliveries_idle()
    assert sorted(g.path for g in receiver.got) == ["/all", "/all", "/folder", "/ws"]


async def test_a_duplicate_delivery_repeats_the_same_bytes(
    taskade_fake: FakeTaskade, receiver: Receiver
) -> None:
    """The duplicate switch sends one event twice, byte for byte, both validly signed."""
    _, _, project = _setup(taskade_fake)
    hook = taskade_fake.add_webhook(receiver.url())
    taskade_fake.duplicate_next_delivery()
    taskade_fake.simulate_project_joined(project.id, "Bob")
    taskade_fake.simulate_project_joined(project.id, "Cy")
    await taskade_fake.deliveries_idle()
    bodies = [g.body for g in receiver.got]
    assert len(bodies) == 3
    assert bodies.count(bodies[0]) == 2 or bodies.count(bodies[1]) == 2
    assert all(_valid(hook.secret, g) for g in receiver.got)
    assert sorted(d.duplicate for d in taskade_fake.deliveries) == [False, False, True]


async def test_a_bad_signature_fails_verification(
    taskade_fake: FakeTaskade, receiver: Receiver
) -> None:
    """The bad-signature switch signs the next delivery with another secret; later ones are fine."""
    _, _, project = _setup(taskade_fake)
    hook = taskade_fake.add_webhook(receiver.url())
    taskade_fake.bad_signature_next_delivery()
    taskade_fake.simulate_project_joined(project.id, "Bob")
    await taskade_fake.deliveries_idle()
    taskade_fake.simulate_project_joined(project.id, "Cy")
    await taskade_fake.deliveries_idle()
    assert [_valid(hook.secret, g) for g in receiver.got] == [False, True]
    assert receiver.got[0].signature is not None
    assert receiver.got[0].signature.startswith("sha256=")


async def test_a_held_delivery_is_overtaken_until_released(
    taskade_fake: FakeTaskade, receiver: Receiver
) -> None:
    """A held delivery waits for the test's event; the next one arrives first."""
    _, _, project = _setup(taskade_fake)
    taskade_fake.add_webhook(receiver.url())
    gate = taskade_fake.hold_next_delivery()
    taskade_fake.simulate_project_joined(project.id, "First")
    taskade_fake.simulate_project_joined(project.id, "Second")
    await receiver.arrived.wait()
    assert [json.loads(g.body)["joinerName"] for g in receiver.got] == ["Second"]
    gate.set()
    await taskade_fake.deliveries_idle()
    assert [json.loads(g.body)["joinerName"] for g in receiver.got] == ["Second", "First"]
    assert [d.held for d in taskade_fake.deliveries] == [False, True]


async def test_the_log_keeps_what_the_receiver_answered(
    taskade_fake: FakeTaskade, receiver: Receiver
) -> None:
    """A receiver's error status, or an unreachable target, is logged; nothing is retried."""
    _, _, project = _setup(taskade_fake)
    taskade_fake.add_webhook(receiver.url())
    taskade_fake.add_webhook("http://127.0.0.1:9/nobody")  # the discard port: refused
    receiver.status = 401
    taskade_fake.simulate_project_joined(project.id, "Bob")
    await taskade_fake.deliveries_idle()
    log: dict[str, Any] = {d.url: d for d in taskade_fake.deliveries}
    assert log[receiver.url()].status == 401
    assert log["http://127.0.0.1:9/nobody"].status is None
    assert log["http://127.0.0.1:9/nobody"].error is not None
    assert len(taskade_fake.deliveries) == 2


def test_an_event_nobody_subscribed_to_needs_no_event_loop() -> None:
    """A simulated event with no webhook for it sends nothing (and works outside a loop)."""
    fake = FakeTaskade()
    _, _, project = _setup(fake)
    assert fake.simulate_project_joined(project.id, "Bob") == 0
    assert fake.deliveries == []


async def test_closing_the_fake_cancels_a_held_delivery(receiver: Receiver) -> None:
    """A delivery still held when the fake closes is dropped, with nothing left running."""
    fake = FakeTaskade()
    await fake.start()
    _, _, project = _setup(fake)
    fake.add_webhook(receiver.url())
    fake.hold_next_delivery()
    assert fake.simulate_project_joined(project.id, "Bob") == 1
    await fake.close()
    assert fake.deliveries == []
    assert receiver.got == []
