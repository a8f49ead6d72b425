"""API v2 (the operations v1 lacks): agent prompting, a conversation, webhooks.

Served under ``/api/v2`` with v1's auth, envelope and error shapes. Request
bodies are checked against :data:`V2_BODIES`, hand-written from the excerpt
(a test compares them). ``promptAgent`` answers deterministically
(:func:`agent_answer`) and records the exchange as a conversation with a
Markdown transcript.
"""

from __future__ import annotations

from typing import Final

from ._call import Call, Reply, handles
from ._problems import ApiProblem, lookup, not_found
from ._routes import Route
from ._state import FakeAgent, FakeConvo, State
from ._validate import Schema
from ._webhooks import EVENTS

__all__ = ["V2_BODIES", "V2_PREFIX", "V2_ROUTES", "agent_answer"]

V2_PREFIX: Final = "/api/v2"

V2_ROUTES: Final[tuple[Route, ...]] = (
    Route("promptAgent", "POST", "/promptAgent", "json"),
    Route("getConversation", "POST", "/getConversation", "json"),
    Route("createWebhook", "POST", "/webhooks", "json"),
    Route("listWebhooks", "GET", "/webhooks"),
    Route("getWebhook", "GET", "/webhooks/{id}"),
    Route("deleteWebhook", "DELETE", "/webhooks/{id}"),
)

_ID: Final[Schema] = {"type": "string", "minLength": 1}
V2_BODIES: Final[dict[str, Schema]] = {
    "promptAgent": {
        "type": "object",
        "properties": {
            "spaceId": {"type": "string"},
            "agentId": {"type": "string"},
            "prompt": {"type": "string"},
        },
        "required": ["spaceId", "agentId", "prompt"],
        "additionalProperties": False,
    },
    "getConversation": {
        "type": "object",
        "properties": {"agentId": _ID, "convoId": _ID, "includeTranscript": {"type": "boolean"}},
        "required": ["agentId", "convoId"],
        "additionalProperties": False,
    },
    "createWebhook": {
        "type": "object",
        "properties": {
            "targetUrl": {"type": "string"},
            "events": {
                "type": "array",
                "items": {"type": "string", "enum": list(EVENTS)},
                "minItems": 1,
            },
            "spaceIds": {"type": "array", "items": _ID, "maxItems": 100},
        },
        "required": ["targetUrl", "events"],
        "additionalProperties": False,
    },
}

#: The model the fake's agents answer with.
_LLM: Final = {"type": "openai", "name": "gpt-4o"}


def agent_answer(agent: FakeAgent, prompt: str) -> str:
    """The fake agent's answer: its name, then the prompt's words in reverse order."""
    return f"{agent.name}: {' '.join(reversed(prompt.split()))}"


def _agent_in(state: State, space_id: str, agent_id: str) -> FakeAgent:
    agent = state.agent(agent_id)
    space = state.spaces.get(agent.space_id)
    if space_id not in (agent.space_id, space.root_id if space else None):
        raise not_found("Agent", agent_id)  # not one of this space's agents
    return agent


@handles("promptAgent")
def prompt_agent(call: Call) -> Reply:
    state = call.state
    agent = _agent_in(state, call.body["spaceId"], call.body["agentId"])
    if state.agent_credits is not None:
        if state.agent_credits <= 0:
            raise ApiProblem(402, "out of AI credits")
        state.agent_credits -= 1
    prompt: str = call.body["prompt"]
    answer = agent_answer(agent, prompt)
    title = prompt.strip().splitlines()[0][:60] if prompt.strip() else "Untitled"
    convo = FakeConvo(state.ids.new(), agent.id, "idle", title, {"llm": dict(_LLM)})
    convo.transcript = f"**User:** {prompt}\n\n**{agent.name}:** {answer}\n"
    agent.convos.append(convo)
    return {"ok": True, "summary": answer}


@handles("getConversation")
def get_conversation(call: Call) -> Reply:
    agent = call.state.agent(call.body["agentId"])
    convo = agent.convo(call.body["convoId"])
    reply: dict[str, object] = {"ok": True, "item": convo.to_json()}
    if call.body.get("includeTranscript"):
        reply["transcript"] = convo.transcript or f"# {convo.title}\n"
    return reply


@handles("createWebhook")
def create_webhook(call: Call) -> Reply:
    body = call.body
    space_ids: list[str] = body.get("spaceIds", [])
    for space_id in space_ids:
        call.state.space(space_id)  # a 404 for a space the account does not have
    hook = call.state.webhooks.create(body["targetUrl"], body["events"], space_ids)
    return {"ok": True, "webhook": hook.to_json(), "secret": hook.secret}


@handles("listWebhooks")
def list_webhooks(call: Call) -> Reply:
    return {"ok": True, "items": [h.to_json() for h in call.state.webhooks.hooks.values()]}


@handles("getWebhook")
def get_webhook(call: Call) -> Reply:
    hook = lookup(call.state.webhooks.hooks, "Webhook", call.args["id"])
    return {"ok": True, "webhook": hook.to_json()}


@handles("deleteWebhook")
def delete_webhook(call: Call) -> Reply:
    return {"ok": True, "deleted": call.state.webhooks.remove(call.args["id"])}
