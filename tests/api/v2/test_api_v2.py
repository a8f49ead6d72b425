"""The generated v2 operations against the fake: agents and webhooks, over loopback."""

from __future__ import annotations

import pytest

import taskade_async as tk
from taskade_async.api import OPERATIONS, agents, webhooks
from taskade_async.testing import FakeTaskade
from taskade_async.testing._handlers_v2 import agent_answer

from .conftest import Receiver

_V2 = ("promptAgent", "getConversation", "createWebhook", "listWebhooks", "getWebhook")


def test_operations_lists_the_v2_operation_ids() -> None:
    """OPERATIONS has the excerpt's six operationIds, mapped to agents and webhooks."""
    assert OPERATIONS["promptAgent"] is agents.prompt
    assert OPERATIONS["getConversation"] is agents.get_conversation
    assert OPERATIONS["createWebhook"] is webhooks.create
    assert OPERATIONS["listWebhooks"] is webhooks.list
    assert OPERATIONS["getWebhook"] is webhooks.get
    assert OPERATIONS["deleteWebhook"] is webhooks.delete
    assert all(name in OPERATIONS for name in _V2)


async def test_prompt_returns_the_answer_and_records_a_conversation(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """agents.prompt returns the summary text; the exchange is a conversation with a transcript."""
    ws = taskade_fake.add_workspace("W")
    agent = taskade_fake.add_agent(ws, "Helper")
    answer = await agents.prompt(session, ws.id, agent.id, prompt="what is due today")
    assert answer == agent_answer(agent, "what is due today") == "Helper: today due is what"
    [convo] = agent.convos
    sent = taskade_fake.requests[-1]
    assert sent.path == "/api/v2/promptAgent"
    assert sent.method == "POST"
    found = await agents.get_conversation(session, agent.id, convo.id, include_transcript=True)
    assert found.item.id == convo.id
    assert found.item.space_agent_id == agent.id
    assert found.transcript is not None
    assert "what is due today" in found.transcript
    assert answer in found.transcript
    plain = await agents.get_conversation(session, agent.id, convo.id)
    assert plain.transcript is None
    # The same conversation is visible through v1.
    assert [c.id for c in await agents.list_convos(session, agent.id).collect()] == [convo.id]


async def test_prompt_out_of_credits_is_payment_required(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """With no AI credits left the fake answers 402, raised as PaymentRequiredError, once."""
    ws = taskade_fake.add_workspace("W")
    agent = taskade_fake.add_agent(ws, "Helper")
    taskade_fake.agent_credits = 1
    await agents.prompt(session, ws.id, agent.id, prompt="one")
    with pytest.raises(tk.PaymentRequiredError) as info:
        await agents.prompt(session, ws.id, agent.id, prompt="two")
    assert info.value.code == "PAYMENT_REQUIRED"
    prompts = [r for r in taskade_fake.requests if r.operation_id == "promptAgent"]
    assert len(prompts) == 2


async def test_prompt_to_an_agent_of_another_space_is_not_found(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """An agent is prompted in its own space (or its workspace); elsewhere it is a 404."""
    ws = taskade_fake.add_workspace("W")
    folder = taskade_fake.add_folder(ws, "F")
    other = taskade_fake.add_workspace("Other")
    agent = taskade_fake.add_agent(folder, "Helper")
    assert await agents.prompt(session, ws.id, agent.id, prompt="hi")
    with pytest.raises(tk.NotFoundError):
        await agents.prompt(session, other.id, agent.id, prompt="hi")
    with pytest.raises(tk.NotFoundError):
        await agents.get_conversation(session, agent.id, "nope")


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1, "a"), {"prompt": "x"}),
        (("s", "a"), {"prompt": None}),
        (("s", "a"), {}),
    ],
)
async def test_prompt_arguments_are_checked_before_sending(
    taskade_fake: FakeTaskade,
    session: tk.Session,
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> None:
    """A non-string id or a missing prompt is a ValidationError and nothing is sent."""
    with pytest.raises((tk.ValidationError, TypeError)):
        await agents.prompt(session, *args, **kwargs)  # type: ignore[arg-type]
    assert taskade_fake.requests == []


async def test_conversation_ids_must_not_be_empty(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """getConversation's ids have a minimum length of 1, checked before sending."""
    with pytest.raises(tk.ValidationError, match="convo_id"):
        await agents.get_conversation(session, "agent", "")
    assert taskade_fake.requests == []


async def test_webhooks_create_list_get_delete(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """A webhook is created with its secret (shown only then), listed, fetched and deleted."""
    ws = taskade_fake.add_workspace("W")
    url = receiver.url("/taskade")
    created = await webhooks.create(
        session, target_url=url, events=["task.assigned", "project.created"], space_ids=[ws.id]
    )
    assert created.webhook.id == created.webhook.url == url
    assert created.webhook.events == ["task.assigned", "project.created"]
    assert created.webhook.space_ids == [ws.id]
    assert created.secret == taskade_fake.webhooks[0].secret
    assert created.secret not in repr(created)
    assert created.secret not in repr(taskade_fake.webhooks)
    listed = await webhooks.list(session).collect()
    assert [w.id for w in listed] == [url]
    fetched = await webhooks.get(session, url)
    assert fetched == created.webhook
    for record in taskade_fake.requests[1:]:
        assert record.response is not None
        assert created.secret.encode() not in record.response  # shown once only
    assert await webhooks.delete(session, url) is True
    assert await webhooks.delete(session, url) is False  # gone: {"ok": true, "deleted": false}
    with pytest.raises(tk.NotFoundError):
        await webhooks.get(session, url)
    assert await webhooks.list(session).collect() == []


async def test_webhook_ids_are_encoded_once_as_one_segment(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """A target URL holding /, ?, % and & reaches /webhooks/{id} as exactly one segment."""
    url = receiver.url("/a/b%2Fc") + "?x=1&y=%25&z=/q"
    created = await webhooks.create(session, target_url=url, events=["task.due"])
    assert created.webhook.id == url
    assert (await webhooks.get(session, url)).id == url
    raw = str(session.url(webhooks.ENDPOINTS["getWebhook"], (url,), None))
    tail = raw.split("/api/v2/webhooks/", 1)[1]
    assert "/" not in tail
    assert "?" not in tail
    assert tail.count("%25") == url.count("%")  # each % encoded once, not twice
    assert await webhooks.delete(session, url) is True
    assert taskade_fake.webhooks == []


async def test_a_plan_without_webhooks_refuses_create_but_not_delete(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """With the plan switch on, create is a 402 PaymentRequiredError; delete still works."""
    taskade_fake.add_webhook(receiver.url())
    taskade_fake.webhooks_require_plan = True
    with pytest.raises(tk.PaymentRequiredError):
        await webhooks.create(session, target_url=receiver.url("/b"), events=["task.due"])
    assert await webhooks.delete(session, receiver.url()) is True
    assert len([r for r in taskade_fake.requests if r.operation_id == "createWebhook"]) == 1


async def test_at_most_100_event_workspace_combinations(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """Webhooks may use 100 event x workspace combinations in all; the 101st is refused."""
    spaces = [taskade_fake.add_workspace(f"W{i}").id for i in range(50)]
    await webhooks.create(
        session,
        target_url=receiver.url("/1"),
        events=["task.due", "task.assigned"],
        space_ids=spaces,
    )
    with pytest.raises(tk.BadRequestError, match="100"):
        await webhooks.create(session, target_url=receiver.url("/2"), events=["task.due"])
    assert len(taskade_fake.webhooks) == 1
    with pytest.raises(tk.NotFoundError):  # a space the account does not have
        await webhooks.create(
            session, target_url=receiver.url("/3"), events=["task.due"], space_ids=["nope"]
        )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://example.com/hook", "https"),
        ("ftp://127.0.0.1/hook", "https"),
        ("/relative/hook", "https"),
        ("https://example.com/" + "a" * 2100, "2048"),
        ("https://example.com/" + "é" * 700, "2048"),  # short, but too long once encoded
        (42, "str"),
    ],
)
async def test_target_url_is_checked_before_sending(
    taskade_fake: FakeTaskade, session: tk.Session, target: object, message: str
) -> None:
    """target_url must be https (http on loopback only), at most 2,048 characters encoded."""
    with pytest.raises(tk.ValidationError, match=message):
        await webhooks.create(session, target_url=target, events=["task.due"])  # type: ignore[arg-type]
    assert taskade_fake.requests == []


@pytest.mark.parametrize("events", [[], ["task.created"], "task.due", [None]])
async def test_events_must_be_among_the_six(
    taskade_fake: FakeTaskade, session: tk.Session, events: object
) -> None:
    """At least one event, each one of the six Taskade sends, checked before sending."""
    with pytest.raises(tk.ValidationError):
        await webhooks.create(session, target_url="https://example.com/h", events=events)  # type: ignore[arg-type]
    assert taskade_fake.requests == []


async def test_the_fake_refuses_a_plain_http_target_off_loopback(
    taskade_fake: FakeTaskade,
) -> None:
    """The fake plays Taskade: an http target URL off loopback is refused (400)."""
    with pytest.raises(Exception, match="https"):
        taskade_fake.add_webhook("http://example.com/hook")
    assert taskade_fake.add_webhook("http://localhost:1/hook").url == "http://localhost:1/hook"
