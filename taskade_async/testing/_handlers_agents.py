"""Agents: creating (from data, a template or a prompt), public pages, knowledge, convos."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ._call import Call, Reply, handles
from ._paging import folder_page, page_slice
from ._problems import ApiProblem, not_found
from ._state import FakeAgent, FakeMedia, FakeProject, FakeSpace, State

__all__ = ["new_agent"]


def new_agent(state: State, space: FakeSpace, name: str, data: dict[str, Any]) -> FakeAgent:
    """Create an agent in ``space``."""
    agent = FakeAgent(state.ids.new(), name, space.id, data)
    state.agents[agent.id] = agent
    return agent


def _words(text: str, count: int) -> str:
    return " ".join(re.findall(r"[\w'-]+", text)[:count])


@handles("folderCreateAgent")
def folder_create_agent(call: Call) -> Reply:
    space = call.state.space(call.args["folderId"])
    spec = call.body["data"]
    if spec["type"] == "data":
        data = spec["data"]
    else:
        template = spec["template"]
        kind = template["type"]
        data = {
            "commands": [
                {
                    "id": call.state.ids.new(),
                    "name": f"Ask the {kind}",
                    "prompt": f"Act as a {kind} and help with the current project.",
                    "mode": "default",
                }
            ],
            "description": f"An agent made from the {kind} template.",
        }
        if "avatar" in template:
            data["avatar"] = template["avatar"]
    agent = new_agent(call.state, space, call.body["name"], data)
    return {"ok": True, "item": agent.to_json()}


@handles("folderAgentGenerate")
def folder_agent_generate(call: Call) -> Reply:
    space = call.state.space(call.args["folderId"])
    text: str = call.body["text"]
    if not text.strip():
        raise ApiProblem(400, "body.text must describe the agent")
    name = _words(text, 4).title() or "Agent"
    data = {
        "commands": [
            {
                "id": call.state.ids.new(),
                "name": _words(text, 3).capitalize() or "Run",
                "prompt": text[:2000],
                "mode": "default",
            }
        ],
        "description": text[:500],
        "tone": "friendly",
        "knowledgeEnabled": False,
        "language": "en",
    }
    return {"ok": True, "item": new_agent(call.state, space, name, data).to_json()}


@handles("folderAgentGet")
def folder_agents_get(call: Call) -> Reply:
    return folder_page(call, call.state.agents.values())


@handles("agentGet")
def agent_get(call: Call) -> Reply:
    return {"ok": True, "item": call.state.agent(call.args["agentId"]).to_json()}


@handles("agentUpdate")
def agent_update(call: Call) -> Reply:
    agent = call.state.agent(call.args["agentId"])
    if "name" in call.body:
        agent.name = call.body["name"]
    if "data" in call.body:
        agent.data = call.body["data"]
    return {"ok": True, "item": agent.to_json()}


@handles("deleteAgent")
def agent_delete(call: Call) -> Reply:
    agent = call.state.agent(call.args["agentId"])
    del call.state.agents[agent.id]
    return {"ok": True}


# -- public access ---------------------------------------------------------------


def _public_url(call: Call, agent: FakeAgent) -> str:
    assert agent.public_id is not None
    return str(call.root_url / "a" / agent.public_id)


def _public(call: Call) -> FakeAgent:
    agent = call.state.agent(call.args["agentId"])
    if agent.public_id is None:
        raise ApiProblem(404, f"Agent {agent.id!r} has no public access")
    return agent


@handles("agentPublicAccessEnable")
def agent_public_access_enable(call: Call) -> Reply:
    agent = call.state.agent(call.args["agentId"])
    if agent.public_id is None:
        agent.public_id = call.state.ids.new()
        agent.preferences.setdefault("mode", "chatbot")
    return {"ok": True, "publicUrl": _public_url(call, agent)}


@handles("agentPublicGet")
def agent_public_get(call: Call) -> Reply:
    agent = _public(call)
    return {"ok": True, "item": agent.public_json(), "publicUrl": _public_url(call, agent)}


@handles("agentPublicUpdate")
def agent_public_update(call: Call) -> Reply:
    agent = _public(call)
    changes: dict[str, Any] = call.body["preferences"]
    preferences = agent.preferences
    for key, value in changes.items():
        if key == "meta" and isinstance(preferences.get("meta"), dict):
            preferences["meta"] = {**preferences["meta"], **value}
        else:
            preferences[key] = value
    return {"ok": True, "item": agent.public_json()}


@handles("publicAgentGet")
def public_agent_get(call: Call) -> Reply:
    public_id = call.args["publicAgentId"]
    for agent in call.state.agents.values():
        if agent.public_id == public_id:
            return {"ok": True, "item": agent.public_json(), "publicUrl": _public_url(call, agent)}
    raise not_found("Public agent", public_id)


# -- knowledge -------------------------------------------------------------------


def _add_knowledge(
    call: Call, field: str, key: str, find: Callable[[str], FakeProject | FakeMedia]
) -> Reply:
    agent = call.state.agent(call.args["agentId"])
    known: list[str] = getattr(agent, field)
    record = find(call.body[key])
    if record.id not in known:
        known.append(record.id)
    return {"ok": True, "item": agent.to_json()}


@handles("agentKnowledgeProjectCreate")
def agent_knowledge_project_create(call: Call) -> Reply:
    return _add_knowledge(call, "knowledge_projects", "projectId", call.state.project)


@handles("agentKnowledgeMediaCreate")
def agent_knowledge_media_create(call: Call) -> Reply:
    return _add_knowledge(call, "knowledge_medias", "mediaId", call.state.media)


def _remove_knowledge(call: Call, what: str, arg: str, field: str) -> Reply:
    agent = call.state.agent(call.args["agentId"])
    known: list[str] = getattr(agent, field)
    wanted = call.args[arg]
    if wanted not in known:
        raise ApiProblem(404, f"{what} {wanted!r} is not knowledge of agent {agent.id!r}")
    known.remove(wanted)
    return {"ok": True}


@handles("agentKnowledgeProjectRemove")
def agent_knowledge_project_remove(call: Call) -> Reply:
    return _remove_knowledge(call, "Project", "projectId", "knowledge_projects")


@handles("agentKnowledgeMediaRemove")
def agent_knowledge_media_remove(call: Call) -> Reply:
    return _remove_knowledge(call, "Media", "mediaId", "knowledge_medias")


# -- conversations -----------------------------------------------------------------


@handles("agentConvosGet")
def agent_convos_get(call: Call) -> Reply:
    agent = call.state.agent(call.args["agentId"])
    return {"ok": True, "items": [c.to_json() for c in page_slice(agent.convos, call.query)]}


@handles("agentConvoGet")
def agent_convo_get(call: Call) -> Reply:
    agent = call.state.agent(call.args["agentId"])
    return {"ok": True, "item": agent.convo(call.args["convoId"]).to_json()}
