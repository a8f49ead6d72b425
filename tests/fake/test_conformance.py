"""Every JSON body the fake serves validates against the official spec's response schema."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any
from urllib.parse import quote

import jsonschema  # type: ignore[import-untyped]  # no stubs installed (types-jsonschema)
import pytest

from taskade_async.testing import FakeTaskade, RecordedRequest
from taskade_async.testing._queries import QUERIES
from taskade_async.testing._routes import ROUTES
from taskade_async.testing._schemas import BODIES

from . import _conformance, _spec
from .conftest import Api

_LOADER = _spec.load()
_LOADER_V2 = _spec.load_v2()
needs_spec = pytest.mark.skipif(_LOADER is None, reason=f"spec not found at {_spec.spec_path()}")
_BINARY = {"mediaDownload", "mediaDownloadAll", "bundleExportZip"}


async def _walk_every_operation(api: Api, fake: FakeTaskade) -> None:
    """Call each of the 64 operations successfully, over the demo data and fresh objects."""
    fake.load_demo(seed=7)
    ws = fake.workspaces[0]
    folder = fake.folders(ws)[0]
    # Reads over the whole demo account, so its data is checked too.
    await api.ok("GET", "/workspaces")
    for workspace in fake.workspaces:
        await api.ok("GET", f"/workspaces/{workspace.id}/folders")
        for space in [workspace, *fake.folders(workspace)]:
            await api.ok("GET", f"/folders/{space.id}/projects")
            await api.ok("GET", f"/folders/{space.id}/agents", params={"limit": "100"})
            await api.ok("GET", f"/folders/{space.id}/medias")
            await api.ok("GET", f"/folders/{space.id}/project-templates")
    for project in fake.projects:
        await api.ok("GET", f"/projects/{project.id}/fields")
        await api.ok("GET", f"/projects/{project.id}/tasks", params={"limit": "1000"})
    for agent in fake.agents:
        convos = await api.ok("GET", f"/agents/{agent.id}/convos/")
        for convo in convos["items"]:
            await api.ok("GET", f"/agents/{agent.id}/convos/{convo['id']}")
    await api.ok("GET", "/me/projects")
    project = fake.projects[0]
    tasks = fake.tasks(project)
    # The first 300 tasks of a demo project include notes, dates, assignees and values.
    assert any(t.note for t in tasks[:300])
    assert any(t.date for t in tasks[:300])
    assert any(t.assignees for t in tasks[:300])
    assert any(t.field_values for t in tasks[:300])
    for task in tasks[:300]:
        base = f"/projects/{project.id}/tasks/{task.id}"
        await api.ok("GET", base)
        await api.ok("GET", f"{base}/note")
        await api.ok("GET", f"{base}/fields")
        await api.ok("GET", f"{base}/assignees")
        if task.date is not None:
            await api.ok("GET", f"{base}/date")
        else:
            await api.error("GET", f"{base}/date", 404)  # no null item: the spec has none
    # Projects.
    p = project.id
    await api.ok("GET", f"/projects/{p}")
    await api.ok("GET", f"/projects/{p}/members")
    await api.ok("GET", f"/projects/{p}/blocks")
    await api.ok("GET", f"/projects/{p}/shareLink")
    await api.ok("PUT", f"/projects/{p}/shareLink")
    await api.ok("GET", f"/projects/{p}/shareLink")
    await api.ok("POST", f"/projects/{p}/complete")
    await api.ok("POST", f"/projects/{p}/restore")
    await api.ok("POST", f"/projects/{p}/copy", json={"folderId": folder.id, "projectTitle": "C"})
    md = {"contentType": "text/markdown", "content": "# New\n- a\n  - b\n"}
    await api.ok("POST", "/projects", json={"folderId": folder.id, **md})
    await api.ok("POST", f"/workspaces/{ws.id}/projects", json=md)
    template = fake.templates[0]
    await api.ok(
        "POST", "/projects/from-template", json={"folderId": ws.id, "templateId": template.id}
    )
    # Tasks.
    first = tasks[0]
    created = await api.ok(
        "POST",
        f"/projects/{p}/tasks/",
        json={
            "tasks": [
                {
                    "contentType": "text/plain",
                    "content": "new",
                    "placement": "afterend",
                    "taskId": first.id,
                },
                {"contentType": "text/markdown", "content": "**root**", "placement": "beforeend"},
            ]
        },
    )
    new_id = created["item"][0]["id"]
    t = f"/projects/{p}/tasks/{new_id}"
    await api.ok("PUT", t, json={"contentType": "text/plain", "content": "renamed"})
    await api.ok("POST", f"{t}/complete")
    await api.ok("POST", f"{t}/uncomplete")
    await api.ok(
        "PUT", f"{t}/move", json={"target": {"taskId": first.id, "position": "afterbegin"}}
    )
    handle = project.members[0].handle
    await api.ok("PUT", f"{t}/assignees", json={"handles": [handle]})
    await api.ok("GET", f"{t}/assignees")
    await api.ok("DELETE", f"{t}/assignees/{handle}")
    await api.ok("PUT", f"{t}/date", json={"start": {"date": "2026-01-02", "time": "10:30"}})
    await api.ok("GET", f"{t}/date")
    await api.ok("DELETE", f"{t}/date")
    await api.ok("PUT", f"{t}/note", json={"type": "text/plain", "value": "note"})
    await api.ok("GET", f"{t}/note")
    await api.ok("DELETE", f"{t}/note")
    field = next(f for f in project.fields if f.type == "number")
    await api.ok("PUT", f"{t}/fields/{field.id}", json={"value": 8})
    await api.ok("GET", f"{t}/fields")
    await api.ok("GET", f"{t}/fields/{field.id}")
    await api.ok("DELETE", f"{t}/fields/{field.id}")
    await api.ok("GET", f"{t}/fields/{field.id}")
    await api.ok("DELETE", t)
    # Agents.
    agent = (
        await api.ok("POST", f"/folders/{folder.id}/agent-generate", json={"text": "triage bugs"})
    )["item"]
    a = f"/agents/{agent['id']}"
    await api.ok(
        "POST",
        f"/folders/{folder.id}/agents",
        json={"name": "T", "data": {"type": "template", "template": {"type": "Translator"}}},
    )
    await api.ok("GET", a)
    await api.ok("PATCH", a, json={"name": "Triage"})
    enabled = await api.ok("PUT", f"{a}/publicAccess")
    await api.ok("GET", f"{a}/public-agent")
    await api.ok(
        "PATCH",
        f"{a}/public-agent",
        json={"preferences": {"mode": "chatbot", "launcherIcon": None, "meta": {"image": None}}},
    )
    public_id = enabled["publicUrl"].rsplit("/", 1)[-1]
    await api.ok("GET", f"/public-agents/{public_id}")
    media = fake.medias[0]
    await api.ok("POST", f"{a}/knowledge/project", json={"projectId": p})
    await api.ok("POST", f"{a}/knowledge/media", json={"mediaId": media.id})
    await api.ok("DELETE", f"{a}/knowledge/project/{p}")
    await api.ok("DELETE", f"{a}/knowledge/media/{media.id}")
    await api.ok("DELETE", a)
    # Medias and bundles.
    uploaded = await api.ok(
        "POST", f"/medias/spaces/{folder.id}/upload", params={"filename": "x.csv"}, data=b"a,b\n"
    )
    m = uploaded["item"]["mediaId"]
    await api.ok("GET", f"/medias/{m}")
    assert (await api.call("GET", f"/medias/{m}/download")).status == 200
    assert (await api.call("GET", f"/medias/spaces/{folder.id}/download")).status == 200
    await api.ok("DELETE", f"/medias/{m}")
    target = fake.add_workspace("Target")
    bundle = (await api.ok("GET", f"/bundles/{folder.id}/export"))["item"]
    await api.ok("POST", f"/bundles/{target.id}/import", json={"bundleData": bundle})
    archive = await api.call("GET", f"/bundles/{folder.id}/export/zip")
    assert archive.status == 200
    with zipfile.ZipFile(io.BytesIO(archive.raw)) as z:
        assert "bundle.json" in z.namelist()
    await api.ok("POST", f"/bundles/{target.id}/import/zip", data=archive.raw)
    if _LOADER_V2 is not None:
        await _walk_v2(api, fake)
    # Some errors, whose bodies must match the Error schema.
    await api.error("GET", "/projects/nope", 404)
    await api.error("POST", f"/projects/{p}/complete", 415, json={})
    await api.error("PUT", f"/projects/{p}/tasks/{first.id}", 400, json={})


async def _walk_v2(api: Api, fake: FakeTaskade) -> None:
    """Call each of the v2 excerpt's operations, under /api/v2, and a v2 error."""
    v2 = Api(api.http, fake, api.token, prefix="/api/v2")
    agent = fake.agents[0]
    ws = fake.state.spaces[agent.space_id].root_id
    await v2.ok("POST", "/promptAgent", json={"spaceId": ws, "agentId": agent.id, "prompt": "hi"})
    convo = agent.convos[-1].id
    for transcript in (True, False):
        body = {"agentId": agent.id, "convoId": convo, "includeTranscript": transcript}
        await v2.ok("POST", "/getConversation", json=body)
    url = "https://hooks.example/taskade?x=1"
    made = await v2.ok("POST", "/webhooks", json={"targetUrl": url, "events": ["task.due"]})
    assert made["secret"]
    await v2.ok("GET", "/webhooks")
    segment = quote(url, safe="")
    await v2.ok("GET", f"/webhooks/{segment}")
    assert (await v2.ok("DELETE", f"/webhooks/{segment}"))["deleted"] is True
    assert (await v2.ok("DELETE", f"/webhooks/{segment}"))["deleted"] is False
    await v2.error("GET", f"/webhooks/{segment}", 404)
    await v2.error("POST", "/webhooks", 400, json={"targetUrl": url, "events": []})


@needs_spec
async def test_every_response_matches_the_spec(api: Api, taskade_fake: FakeTaskade) -> None:
    """All 64 (and v2's 6) operations succeed, and every JSON body served validates."""
    assert _LOADER is not None
    await _walk_every_operation(api, taskade_fake)
    served = set()
    for record in taskade_fake.requests:
        assert record.operation_id is not None, record.path
        assert record.status is not None
        if 200 <= record.status < 300:
            served.add(record.operation_id)
            # Files come back as bytes; everything else as a JSON body the checker sees.
            assert (record.response is None) == (record.operation_id in _BINARY)
    spec_ids = {operation_id for operation_id, *_ in _LOADER.operations()}
    assert len(spec_ids) == 64
    if _LOADER_V2 is not None:
        v2_ids = {operation_id for operation_id, *_ in _LOADER_V2.operations()}
        assert len(v2_ids) == 6
        spec_ids |= v2_ids
    assert served == spec_ids
    found, checked = _conformance.problems(taskade_fake.requests)
    assert found == []
    assert checked > 1000


def test_the_checker_reports_a_body_that_breaks_the_schema() -> None:
    """A served body with an undocumented field or a wrong type is reported."""
    if not _conformance.spec_available():
        pytest.skip(f"spec not found at {_spec.spec_path()}")
    bad = RecordedRequest("GET", "/api/v1/projects/p/tasks", {}, {}, b"", 0.0)
    bad.operation_id, bad.status = "projectTasksGet", 200
    bad.response = b'{"ok":true,"items":[{"id":"a","colour":"red"}]}'
    error = RecordedRequest("GET", "/api/v1/projects/p", {}, {}, b"", 0.0)
    error.operation_id, error.status, error.response = "projectGet", 404, b'{"ok":false}'
    found, checked = _conformance.problems([bad, error])
    assert checked == 2
    assert "colour" in found[0]
    assert "message" in found[1]


@needs_spec
def test_routes_and_body_rules_match_the_spec() -> None:
    """The fake serves exactly the spec's 64 (operationId, method, path) triples and bodies."""
    assert _LOADER is not None
    spec_routes = {(op_id, method, path) for op_id, method, path, _ in _LOADER.operations()}
    assert {(r.operation_id, r.method, r.path) for r in ROUTES} == spec_routes
    with_json = {
        op_id
        for op_id, _, _, operation in _LOADER.operations()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }
    assert {r.operation_id for r in ROUTES if r.body == "json"} == with_json == set(BODIES)
    # ERRATA 5: the two raw-body uploads declare no requestBody at all.
    assert {r.operation_id for r in ROUTES if r.body == "raw"} == {"mediaUpload", "bundleImportZip"}
    for op_id, _, _, operation in _LOADER.operations():
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        assert set(QUERIES.get(op_id, {})) == declared, op_id


_KEYWORDS = ("type", "enum", "maxLength", "minLength", "pattern", "maxItems", "minItems")


def _differences(mine: Any, spec: Any, where: str) -> list[str]:
    """Where the fake's hand-written body rules differ from the spec's schema."""
    # The loader writes "nullable" as anyOf [X, null]; the fake keeps a nullable flag.
    if isinstance(spec.get("anyOf"), list) and spec["anyOf"][-1:] == [{"type": "null"}]:
        spec = spec["anyOf"][0]
    found = []
    for key in _KEYWORDS:
        mine_value, spec_value = mine.get(key), spec.get(key)
        if key == "enum":
            mine_value, spec_value = set(mine_value or ()), set(spec_value or ())
        if mine_value != spec_value:
            found.append(f"{where}: {key} {mine.get(key)!r:.60} != {spec.get(key)!r:.60}")
    if "properties" in mine or "properties" in spec:
        mine_props, spec_props = mine.get("properties", {}), spec.get("properties", {})
        if set(mine_props) != set(spec_props):
            found.append(f"{where}: properties {sorted(mine_props)} != {sorted(spec_props)}")
        if set(mine.get("required", ())) != set(spec.get("required", ())):
            found.append(f"{where}: required {mine.get('required')} != {spec.get('required')}")
        if mine.get("additionalProperties", True) != spec.get("additionalProperties", True):
            found.append(f"{where}: additionalProperties differ")
        for name in set(mine_props) & set(spec_props):
            found += _differences(mine_props[name], spec_props[name], f"{where}.{name}")
    if "items" in mine or "items" in spec:
        found += _differences(mine.get("items", {}), spec.get("items", {}), f"{where}[]")
    mine_any, spec_any = mine.get("anyOf", []), spec.get("anyOf", [])
    if len(mine_any) != len(spec_any):
        found.append(f"{where}: {len(mine_any)} anyOf branches != {len(spec_any)}")
    for i, (a, b) in enumerate(zip(mine_any, spec_any, strict=False)):
        found += _differences(a, b, f"{where}|{i}")
    return found


@needs_spec
def test_body_rules_match_the_spec_except_the_errata() -> None:
    """The hand-written body schemas agree with the spec's, keyword by keyword, except ERRATA 4."""
    assert _LOADER is not None
    operations = {op_id: op for op_id, _, _, op in _LOADER.operations()}
    found = []
    for op_id, mine in BODIES.items():
        spec = operations[op_id]["requestBody"]["content"]["application/json"]["schema"]
        found += _differences(dict(mine), _LOADER.inline(spec), op_id)
    # ERRATA 4: the spec's taskCreate item cannot validate anything; the fake uses its meaning.
    assert found
    assert all(line.startswith("taskCreate.tasks[]:") for line in found), found


@needs_spec
def test_loader_resolves_the_spec_defects() -> None:
    """Relative and deep refs resolve and nullable becomes an explicit null alternative."""
    assert _LOADER is not None
    schemas = _LOADER.response_schemas()
    fields = schemas[("projectFieldsGet", "200")]
    jsonschema.Draft7Validator.check_schema(fields)
    assert "$ref" not in json.dumps(fields)
    note = schemas[("taskNoteGet", "200")]
    jsonschema.validate({"ok": True, "item": None}, note)


def test_loader_fails_loudly_on_an_unresolvable_ref() -> None:
    """A ref that points nowhere, from either root, raises instead of being skipped."""
    loader = _spec.SchemaLoader({"components": {"schemas": {"A": {"type": "object"}}}})
    assert loader.inline({"$ref": "#/components/schemas/A"}) == {"type": "object"}
    for ref in ("#/components/schemas/B", "#/properties/x", "other.json#/A"):
        with pytest.raises(_spec.UnresolvableRef):
            loader.inline({"properties": {"x": {"$ref": ref}}})
    relative = {"properties": {"a": {"type": "string"}, "b": {"$ref": "#/properties/a"}}}
    assert loader.inline(relative)["properties"]["b"] == {"type": "string"}
