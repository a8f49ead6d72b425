"""The v2 operations on the wire, against a recording server: paths, bodies, bad answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import taskade_async as tk
from taskade_async.api import agents, webhooks

from .conftest import Recorder

_HOOK = {
    "id": "https://h.example/a",
    "url": "https://h.example/a",
    "events": ["task.due"],
    "spaceIds": [],
    "createdAt": "2026-01-01T00:00:00.000Z",
}


async def test_v2_requests_go_to_the_v2_root_with_rpc_bodies(
    session: tk.Session, recorder: Recorder
) -> None:
    """promptAgent and getConversation POST their ids in the body to /api/v2/<name>."""
    recorder.reply({"ok": True, "summary": "42"})
    assert await agents.prompt(session, "s1", "a1", prompt="meaning?") == "42"
    assert recorder.last.method == "POST"
    assert recorder.last.raw_path == "/api/v2/promptAgent"
    assert recorder.last.json() == {"spaceId": "s1", "agentId": "a1", "prompt": "meaning?"}
    convo = {"id": "c", "space_agent_id": "a1", "status": "idle", "data": {}}
    recorder.reply({"ok": True, "item": convo, "transcript": "# T"})
    found = await agents.get_conversation(session, "a1", "c", include_transcript=True)
    assert found.transcript == "# T"
    assert recorder.last.raw_path == "/api/v2/getConversation"
    assert recorder.last.json() == {"agentId": "a1", "convoId": "c", "includeTranscript": True}


async def test_a_webhook_id_reaches_the_server_encoded_exactly_once(
    session: tk.Session, recorder: Recorder
) -> None:
    """An id holding :, /, ?, = and % is one percent-encoded segment, never double-encoded."""
    hook_id = "https://h.example/a/b?x=1%2F"
    recorder.reply({"ok": True, "webhook": {**_HOOK, "id": hook_id}})
    await webhooks.get(session, hook_id)
    assert recorder.last.raw_path == "/api/v2/webhooks/https%3A%2F%2Fh.example%2Fa%2Fb%3Fx%3D1%252F"
    assert recorder.last.query_string == ""
    recorder.reply({"ok": True, "deleted": True})
    assert await webhooks.delete(session, hook_id) is True
    assert recorder.last.method == "DELETE"
    assert recorder.last.body == b""
    for bad in ("", ".", ".."):
        with pytest.raises(tk.ValidationError):
            await webhooks.get(session, bad)


async def test_listing_sends_no_body_and_reads_items(
    session: tk.Session, recorder: Recorder
) -> None:
    """listWebhooks is a GET with no body; its items are Webhook models."""
    recorder.reply({"ok": True, "items": [_HOOK]})
    [hook] = await webhooks.list(session).collect()
    assert hook.space_ids == []
    assert recorder.last.method == "GET"
    assert recorder.last.body == b""


@pytest.mark.parametrize(
    ("call", "reply"),
    [
        ("prompt", {"ok": True, "summary": 5}),
        ("prompt", {"ok": True}),
        ("prompt", {"ok": True, "summary": None}),
        ("delete", {"ok": True, "deleted": "yes"}),
        ("delete", {"ok": True}),
        ("get", {"ok": True, "webhook": None}),
        ("get", {"ok": True, "item": _HOOK}),
    ],
)
async def test_a_wrong_answer_is_a_protocol_error(
    session: tk.Session, recorder: Recorder, call: str, reply: dict[str, Any]
) -> None:
    """A missing, null or wrongly typed summary, deleted or webhook raises ProtocolError."""
    recorder.reply(reply)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "prompt": lambda: agents.prompt(session, "s", "a", prompt="p"),
        "delete": lambda: webhooks.delete(session, "https://h.example/a"),
        "get": lambda: webhooks.get(session, "https://h.example/a"),
    }
    with pytest.raises(tk.ProtocolError):
        await calls[call]()
