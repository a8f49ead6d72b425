"""A second webhook for a registered target URL: 409, or ``replace=True`` for a new secret."""

from __future__ import annotations

import pytest

import taskade_async as tk
from taskade_async.api import webhooks
from taskade_async.testing import FakeTaskade

URL = "http://127.0.0.1:9/taskade"


async def test_a_second_registration_of_a_target_url_is_409(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """Registering a target URL again is a ConflictError; the first webhook is untouched."""
    first = await webhooks.create(taskade_session, target_url=URL, events=["task.due"])
    with pytest.raises(tk.ConflictError):
        await webhooks.create(taskade_session, target_url=URL, events=["task.assigned"])
    assert [(h.url, h.secret, h.events) for h in taskade_fake.webhooks] == [
        (URL, first.secret, ["task.due"])
    ]


async def test_replace_deletes_and_registers_again_with_a_new_secret(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """replace=True after a 409 deletes the webhook and registers again: a new secret (rotation)."""
    first = await webhooks.create(taskade_session, target_url=URL, events=["task.due"])
    again = await webhooks.create(
        taskade_session, target_url=URL, events=["task.assigned"], replace=True
    )
    assert again.secret != first.secret
    assert [(h.secret, h.events) for h in taskade_fake.webhooks] == [
        (again.secret, ["task.assigned"])
    ]
    sent = [r.operation_id for r in taskade_fake.requests]
    assert sent == ["createWebhook", "createWebhook", "deleteWebhook", "createWebhook"]


async def test_replace_of_a_new_target_url_is_one_request(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """replace=True with nothing in the way registers with one request."""
    await webhooks.create(taskade_session, target_url=URL, events=["task.due"], replace=True)
    assert [r.operation_id for r in taskade_fake.requests] == ["createWebhook"]


async def test_replace_must_be_a_bool(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """A non-bool replace is a ValidationError before anything is sent."""
    with pytest.raises(tk.ValidationError):
        await webhooks.create(
            taskade_session,
            target_url=URL,
            events=["task.due"],
            replace="yes",  # type: ignore[arg-type]
        )
    assert taskade_fake.requests == []
