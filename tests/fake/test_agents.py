"""Agents through real HTTP: create, generate, update, public pages, knowledge, convos."""

from __future__ import annotations

from typing import Any

from taskade_async.testing import FakeTaskade

from .conftest import Api

_DATA: dict[str, Any] = {
    "commands": [{"id": "c1", "name": "Summarize", "prompt": "Summarize this."}],
    "tone": "friendly",
}


async def test_create_agent_from_data_and_template(api: Api, taskade_fake: FakeTaskade) -> None:
    """folderCreateAgent accepts agent data or a template; folderAgentGet pages them."""
    ws = taskade_fake.add_workspace("Acme")
    body = await api.ok(
        "POST",
        f"/folders/{ws.id}/agents",
        json={"name": "Helper", "data": {"type": "data", "data": _DATA}},
    )
    assert body["item"] == {
        "id": body["item"]["id"],
        "name": "Helper",
        "space_id": ws.id,
        "data": _DATA,
    }
    body = await api.ok(
        "POST",
        f"/folders/{ws.id}/agents",
        json={
            "name": "Tutor",
            "data": {
                "type": "template",
                "template": {"type": "Tutor", "avatar": {"type": "emoji", "data": {"value": "🎓"}}},
            },
        },
    )
    assert body["item"]["data"]["avatar"] == {"type": "emoji", "data": {"value": "🎓"}}
    assert body["item"]["data"]["commands"]
    listed = await api.ok("GET", f"/folders/{ws.id}/agents", params={"limit": "1", "page": "2"})
    assert [a["name"] for a in listed["items"]] == ["Tutor"]
    await api.error(
        "POST",
        f"/folders/{ws.id}/agents",
        400,
        json={"name": "X", "data": {"type": "template", "template": {"type": "Wizard"}}},
    )
    await api.error(
        "POST",
        f"/folders/{ws.id}/agents",
        400,
        json={"name": "X", "data": {"type": "data", "data": {"tone": "grumpy", "commands": []}}},
    )


async def test_generate_get_update_delete(api: Api, taskade_fake: FakeTaskade) -> None:
    """An agent generated from a prompt can be read, renamed, given new data, and deleted."""
    ws = taskade_fake.add_workspace("Acme")
    body = await api.ok(
        "POST", f"/folders/{ws.id}/agent-generate", json={"text": "write weekly status reports"}
    )
    agent = body["item"]
    assert agent["name"] == "Write Weekly Status Reports"
    assert agent["space_id"] == ws.id
    assert (await api.ok("GET", f"/agents/{agent['id']}"))["item"] == agent
    body = await api.ok("PATCH", f"/agents/{agent['id']}", json={"name": "Reporter", "data": _DATA})
    assert body["item"]["name"] == "Reporter"
    assert body["item"]["data"] == _DATA
    await api.error("PATCH", f"/agents/{agent['id']}", 400, json={"colour": "red"})
    assert await api.ok("DELETE", f"/agents/{agent['id']}") == {"ok": True}
    await api.error("GET", f"/agents/{agent['id']}", 404)
    await api.error("POST", f"/folders/{ws.id}/agent-generate", 400, json={"text": "  "})


async def test_public_access(api: Api, taskade_fake: FakeTaskade) -> None:
    """Public access gives a public URL; the public agent is readable by both ids and updatable."""
    ws = taskade_fake.add_workspace("Acme")
    agent = taskade_fake.add_agent(ws, "Helper", data=_DATA)
    await api.error("GET", f"/agents/{agent.id}/public-agent", 404)
    enabled = await api.ok("PUT", f"/agents/{agent.id}/publicAccess")
    url: str = enabled["publicUrl"]
    assert url.startswith(str(taskade_fake.url))
    public = await api.ok("GET", f"/agents/{agent.id}/public-agent")
    assert public["publicUrl"] == url
    assert public["item"]["id"] == agent.id
    assert agent.public_id is not None
    assert (await api.ok("GET", f"/public-agents/{agent.public_id}"))["item"] == public["item"]
    body = await api.ok(
        "PATCH",
        f"/agents/{agent.id}/public-agent",
        json={
            "preferences": {
                "theme": "dark",
                "meta": {"title": "Ask me"},
                "launcherIcon": {"type": "emoji", "value": "💬"},
            }
        },
    )
    assert body["item"]["preferences"]["theme"] == "dark"
    assert body["item"]["preferences"]["meta"] == {"title": "Ask me"}
    await api.error(
        "PATCH", f"/agents/{agent.id}/public-agent", 400, json={"preferences": {"theme": "pink"}}
    )
    await api.error("GET", "/public-agents/nobody", 404)


async def test_knowledge(api: Api, taskade_fake: FakeTaskade) -> None:
    """Projects and medias are added to and removed from an agent's knowledge."""
    ws = taskade_fake.add_workspace("Acme")
    agent = taskade_fake.add_agent(ws, "Helper")
    project = taskade_fake.add_project(ws, "Docs")
    media = taskade_fake.add_media(ws, "a.txt", b"hello")
    body = await api.ok(
        "POST", f"/agents/{agent.id}/knowledge/project", json={"projectId": project.id}
    )
    assert body["item"]["id"] == agent.id
    await api.ok("POST", f"/agents/{agent.id}/knowledge/media", json={"mediaId": media.id})
    assert agent.knowledge_projects == [project.id]
    assert agent.knowledge_medias == [media.id]
    await api.error("POST", f"/agents/{agent.id}/knowledge/project", 404, json={"projectId": "x"})
    await api.error("POST", f"/agents/{agent.id}/knowledge/media", 404, json={"mediaId": "x"})
    assert await api.ok("DELETE", f"/agents/{agent.id}/knowledge/project/{project.id}") == {
        "ok": True
    }
    await api.ok("DELETE", f"/agents/{agent.id}/knowledge/media/{media.id}")
    assert agent.knowledge_projects == agent.knowledge_medias == []
    await api.error("DELETE", f"/agents/{agent.id}/knowledge/media/{media.id}", 404)


async def test_convos(api: Api, taskade_fake: FakeTaskade) -> None:
    """Conversations page by number and can be read one by one."""
    ws = taskade_fake.add_workspace("Acme")
    agent = taskade_fake.add_agent(ws, "Helper")
    convos = [taskade_fake.add_convo(agent, f"Chat {i}", ended_at=1.0) for i in range(3)]
    page = await api.ok("GET", f"/agents/{agent.id}/convos/", params={"limit": "2", "page": "2"})
    assert page["items"] == [
        {
            "id": convos[2].id,
            "space_agent_id": agent.id,
            "status": "idle",
            "title": "Chat 2",
            "data": {"llm": {"type": "openai", "name": "gpt-4o"}, "endedAt": 1.0},
        }
    ]
    body = await api.ok("GET", f"/agents/{agent.id}/convos/{convos[0].id}")
    assert body["item"]["title"] == "Chat 0"
    await api.error("GET", f"/agents/{agent.id}/convos/none", 404)
