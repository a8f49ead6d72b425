"""One Session for both APIs: the v2 root, retry safety per operation, promptAgent's deadline."""

from __future__ import annotations

import pytest

import taskade_async as tk
from taskade_async.api import agents, projects, webhooks
from taskade_async.testing import FakeTaskade

from .conftest import Receiver


async def test_v2_root_is_derived_from_base_url() -> None:
    """``.../api/v1`` sends v2 operations to ``.../api/v2``; v1 ones stay on v1."""
    async with tk.Session(token="t", base_url="https://x.example/api/v1/") as s:
        v2 = s.url(webhooks.ENDPOINTS["listWebhooks"], (), None)
        v1 = s.url(projects.ENDPOINTS["projectGet"], ("p",), None)
    assert str(v2) == "https://x.example/api/v2/webhooks"
    assert str(v1) == "https://x.example/api/v1/projects/p"


async def test_v2_base_url_overrides_the_derived_root() -> None:
    """``v2_base_url=`` sets the v2 root, with the base URL's https rule."""
    async with tk.Session(
        token="t", base_url="https://x.example/api/v1", v2_base_url="https://y.example/v2/"
    ) as s:
        assert str(s.url(webhooks.ENDPOINTS["listWebhooks"], (), None)) == (
            "https://y.example/v2/webhooks"
        )
    with pytest.raises(tk.ValidationError, match="v2_base_url must use https"):
        tk.Session(token="t", v2_base_url="http://y.example/api/v2")
    tk.Session(token="t", v2_base_url="http://127.0.0.1:9/api/v2")  # loopback: allowed


async def test_no_v2_root_without_a_v1_base_url() -> None:
    """A base URL that does not end in /v1 has no sibling: v2 calls say to pass v2_base_url."""
    async with tk.Session(token="t", base_url="https://proxy.example/taskade") as s:
        with pytest.raises(tk.ValidationError, match="v2_base_url"):
            await webhooks.get(s, "https://hooks.example/a")
        assert str(s.url(projects.ENDPOINTS["projectGet"], ("p",), None)).endswith("/projects/p")


async def test_the_fake_session_reaches_both_apis(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """The fake's v1 base URL gives its /api/v2: one session calls both."""
    ws = taskade_fake.add_workspace("W")
    folder = taskade_fake.add_folder(ws, "F")
    await projects.create(session, folder_id=folder.id, content_type="text/markdown", content="# P")
    assert await webhooks.list(session).collect() == []
    assert [r.path for r in taskade_fake.requests] == ["/api/v1/projects", "/api/v2/webhooks"]
    assert str(taskade_fake.v2_base_url).endswith("/api/v2")


def _sent(fake: FakeTaskade, path: str) -> int:
    """Requests that reached ``path`` (faults answer before routing, so go by path)."""
    return sum(r.path == path for r in fake.requests)


async def test_v2_reads_are_retried_like_reads(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """getConversation (a POST), listWebhooks, getWebhook and deleteWebhook are retried."""
    ws = taskade_fake.add_workspace("W")
    agent = taskade_fake.add_agent(ws, "A")
    convo = taskade_fake.add_convo(agent, "Talk")
    url = receiver.url()
    taskade_fake.add_webhook(url)
    taskade_fake.reset_next(method="POST", path="/api/v2/getConversation")
    taskade_fake.fail_next(503, method="POST", path="/api/v2/getConversation")
    assert (await agents.get_conversation(session, agent.id, convo.id)).item.id == convo.id
    # (A reset is used for the POST only: aiohttp itself re-sends a GET or DELETE whose
    # reused connection was reset, which would hide what the policy did.)
    taskade_fake.fail_next(503, method="GET", path="/api/v2/webhooks")
    assert len(await webhooks.list(session).collect()) == 1
    taskade_fake.fail_next(502, method="GET", path="/api/v2/webhooks/*")
    assert (await webhooks.get(session, url)).id == url
    taskade_fake.fail_next(500, method="DELETE", path="/api/v2/webhooks/*")
    assert await webhooks.delete(session, url) is True
    assert taskade_fake.webhooks == []
    assert session.stats.retries == 5
    assert _sent(taskade_fake, "/api/v2/getConversation") == 3


async def test_prompt_agent_is_never_sent_twice(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """A reset or a 5xx after promptAgent was sent is raised, not retried (it spends credits)."""
    ws = taskade_fake.add_workspace("W")
    agent = taskade_fake.add_agent(ws, "A")
    taskade_fake.reset_next(method="POST", path="/api/v2/promptAgent")
    with pytest.raises(tk.TransportError):
        await agents.prompt(session, ws.id, agent.id, prompt="hi")
    taskade_fake.fail_next(503, method="POST", path="/api/v2/promptAgent")
    with pytest.raises(tk.ServerError):
        await agents.prompt(session, ws.id, agent.id, prompt="hi")
    taskade_fake.reset_mid_body_next(method="POST", path="/api/v2/promptAgent")
    with pytest.raises(tk.TransportError):
        await agents.prompt(session, ws.id, agent.id, prompt="hi")
    assert _sent(taskade_fake, "/api/v2/promptAgent") == 3
    assert len(agent.convos) == 1  # the cut-off answer still ran the agent once
    assert session.stats.retries == 0


async def test_a_429_is_retried_even_for_prompt_agent(
    taskade_fake: FakeTaskade, session: tk.Session
) -> None:
    """A 429 means the server did not act, so promptAgent goes again after it."""
    ws = taskade_fake.add_workspace("W")
    agent = taskade_fake.add_agent(ws, "A")
    taskade_fake.fail_next(429, method="POST", path="/api/v2/promptAgent", retry_after=0)
    assert await agents.prompt(session, ws.id, agent.id, prompt="hi") == "A: hi"
    assert len(agent.convos) == 1


async def test_create_webhook_is_never_sent_twice(
    taskade_fake: FakeTaskade, session: tk.Session, receiver: Receiver
) -> None:
    """A reset or a 5xx after createWebhook was sent is raised, not retried."""
    taskade_fake.reset_mid_body_next(method="POST", path="/api/v2/webhooks")
    with pytest.raises(tk.TransportError):
        await webhooks.create(session, target_url=receiver.url(), events=["task.due"])
    taskade_fake.fail_next(500, method="POST", path="/api/v2/webhooks")
    with pytest.raises(tk.ServerError):
        await webhooks.create(session, target_url=receiver.url("/2"), events=["task.due"])
    assert _sent(taskade_fake, "/api/v2/webhooks") == 2
    assert [h.url for h in taskade_fake.webhooks] == [receiver.url()]


def test_retry_safety_is_by_operation_not_method() -> None:
    """The generated Operations carry what each v2 operation does, whatever its method."""
    ops = {**agents.ENDPOINTS, **webhooks.ENDPOINTS}
    assert ops["getConversation"].method == "POST"
    assert ops["getConversation"].idempotent is True
    assert ops["promptAgent"].idempotent is False
    assert ops["createWebhook"].idempotent is False
    assert ops["listWebhooks"].idempotent is True
    assert ops["getWebhook"].idempotent is True
    assert ops["deleteWebhook"].idempotent is True
    assert {op.api for op in ops.values() if op.operation_id[0].islower()} >= {"v2"}
    assert agents.ENDPOINTS["agentGet"].api == "v1"


async def test_prompt_agent_gets_a_longer_default_deadline(
    taskade_fake: FakeTaskade,
) -> None:
    """With a short session deadline, a slow v1 call times out while a slow prompt answers."""
    ws = taskade_fake.add_workspace("W")
    agent = taskade_fake.add_agent(ws, "A")
    taskade_fake.delay_next(0.3, method="POST", path="/api/v2/promptAgent")
    taskade_fake.delay_next(0.3, method="GET", path="/api/v1/agents/*")
    async with tk.Session(
        token=taskade_fake.token, base_url=taskade_fake.base_url, deadline=0.05
    ) as s:
        assert await agents.prompt(s, ws.id, agent.id, prompt="slow") == "A: slow"
        with pytest.raises(tk.RequestTimeoutError):
            await agents.get(s, agent.id)
    assert agents.ENDPOINTS["promptAgent"].min_deadline == 120.0
