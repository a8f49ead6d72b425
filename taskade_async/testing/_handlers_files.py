"""Medias (upload, download, zip of a space) and workspace bundles (JSON and zip)."""

from __future__ import annotations

import base64
import binascii
import io
import json
import mimetypes
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any, Final

from ._call import Binary, Call, Reply, handles
from ._handlers_agents import new_agent
from ._paging import folder_page
from ._problems import ApiProblem
from ._schemas import AGENT_DATA, BODIES
from ._state import FakeMedia, FakeProject, FakeSpace, FakeTemplate, State, TaskSpec
from ._tree import FakeTask
from ._validate import SchemaError, validate

__all__ = ["MAX_BUNDLE_ZIP", "add_media"]

#: The API refuses ZIP bundle imports above 50 MB.
MAX_BUNDLE_ZIP: Final = 50 * 1024 * 1024
_BUNDLE_FILE: Final = "bundle.json"


def add_media(
    state: State, space: FakeSpace, filename: str, content: bytes, content_type: str | None = None
) -> FakeMedia:
    """Store a file in ``space``; the content type is guessed from the name if not given."""
    if not content_type or content_type == "application/octet-stream":
        content_type = (
            mimetypes.guess_type(filename)[0] or content_type or "application/octet-stream"
        )
    media = FakeMedia(
        state.ids.new(), space.id, filename, content_type, content, f"space-files/{state.ids.new()}"
    )
    state.medias[media.id] = media
    return media


@handles("mediaUpload")
def media_upload(call: Call) -> Reply:
    space = call.state.space(call.args["spaceId"])
    filename: str = call.query["filename"].strip()
    if not filename or "/" in filename or "\\" in filename:
        raise ApiProblem(400, "filename must be a plain, non-empty file name")
    if not call.raw:
        raise ApiProblem(400, "the request body (the file) is empty")
    content_type = call.content_type.partition(";")[0].strip()
    media = add_media(call.state, space, filename, call.raw, content_type or None)
    download = call.api_url / "medias" / media.id / "download"
    item = {"mediaId": media.id, "fileId": media.file_id, "kind": media.kind}
    return {"ok": True, "item": {**item, "downloadUrl": str(download)}}


@handles("mediasGet")
def medias_get(call: Call) -> Reply:
    return folder_page(call, call.state.medias.values())


@handles("mediaGet")
def media_get(call: Call) -> Reply:
    return {"ok": True, "item": call.state.media(call.args["mediaId"]).to_json()}


@handles("mediaDelete")
def media_delete(call: Call) -> Reply:
    media = call.state.media(call.args["mediaId"])
    del call.state.medias[media.id]
    for agent in call.state.agents.values():
        if media.id in agent.knowledge_medias:
            agent.knowledge_medias.remove(media.id)
    return {"ok": True}


@handles("mediaDownload")
def media_download(call: Call) -> Reply:
    media = call.state.media(call.args["mediaId"])
    return Binary(media.content, media.content_type, media.filename)


def _unique_names(medias: Iterable[FakeMedia]) -> list[tuple[str, FakeMedia]]:
    seen: set[str] = set()
    result = []
    for media in medias:
        name = media.filename
        stem, dot, ext = name.rpartition(".")
        counter = 1
        while name in seen:
            counter += 1
            name = f"{stem} ({counter}).{ext}" if dot and stem else f"{media.filename} ({counter})"
        seen.add(name)
        result.append((name, media))
    return result


@handles("mediaDownloadAll")
def media_download_all(call: Call) -> Reply:
    space = call.state.space(call.args["spaceId"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        medias = (m for m in call.state.medias.values() if m.space_id == space.id)
        for name, media in _unique_names(medias):
            archive.writestr(name, media.content)
    return Binary(buffer.getvalue(), "application/zip", f"medias-{space.id}.zip")


# -- bundles ---------------------------------------------------------------------


def _task_json(task: FakeTask) -> dict[str, Any]:
    item: dict[str, Any] = {"text": task.text, "completed": task.completed}
    if task.note is not None:
        item["note"] = task.note
    if task.children:
        item["children"] = [_task_json(child) for child in task.children]
    return item


def _outline_json(outline: Sequence[TaskSpec]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for spec in outline:
        if isinstance(spec, str):
            result.append({"text": spec})
        else:
            result.append({"text": spec[0], "children": _outline_json(spec[1])})
    return result


def _spaces_of(state: State, space: FakeSpace) -> set[str]:
    if not space.is_workspace:
        return {space.id}
    return {s.id for s in state.spaces.values() if s.root_id == space.id}


def export_bundle(state: State, space: FakeSpace, with_bytes: bool) -> dict[str, Any]:
    """The bundle (``version`` and ``items``) of everything in ``space``."""
    inside = _spaces_of(state, space)
    items: dict[str, dict[str, Any]] = {}
    for project in state.projects.values():
        if project.space_id in inside:
            items[project.id] = {
                "type": "space-bundle-project-item",
                "name": project.name,
                "tasks": [_task_json(task) for task in project.tree.roots],
            }
    for agent in state.agents.values():
        if agent.space_id in inside:
            items[agent.id] = {
                "type": "space-bundle-agent-item",
                "name": agent.name,
                "data": agent.data,
            }
    for template in state.templates.values():
        if template.space_id in inside:
            items[template.id] = {
                "type": "space-bundle-template-item",
                "name": template.name,
                "tasks": _outline_json(template.tasks),
            }
    for media in state.medias.values():
        if media.space_id in inside:
            item = {
                "type": "space-bundle-media-item",
                "filename": media.filename,
                "contentType": media.content_type,
                "size": len(media.content),
            }
            if with_bytes:
                item["content"] = base64.b64encode(media.content).decode("ascii")
            items[media.id] = item
    return {"version": "1", "items": items}


@handles("bundleExport")
def bundle_export(call: Call) -> Reply:
    space = call.state.space(call.args["spaceId"])
    return {"ok": True, "item": export_bundle(call.state, space, with_bytes=True)}


@handles("bundleExportZip")
def bundle_export_zip(call: Call) -> Reply:
    space = call.state.space(call.args["spaceId"])
    bundle = export_bundle(call.state, space, with_bytes=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_BUNDLE_FILE, json.dumps(bundle, ensure_ascii=False))
        for media_id, item in bundle["items"].items():
            if item["type"] == "space-bundle-media-item":
                archive.writestr(f"medias/{media_id}", call.state.medias[media_id].content)
    extension = call.query["format"]
    content_type = "application/zip" if extension == "zip" else "application/octet-stream"
    return Binary(buffer.getvalue(), content_type, f"bundle-{space.id}.{extension}")


def _check_tasks(raw: Any, where: str) -> None:
    """Refuse (400) a bundle task list that is not texts or ``{"text", "children"...}`` objects."""
    if not isinstance(raw, list):
        raise ApiProblem(400, f"{where} must be a list of tasks")
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if isinstance(item, str):
            continue
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ApiProblem(400, f"{at} must be a text or an object with a string 'text'")
        note = item.get("note")
        if note is not None and not (isinstance(note, dict) and isinstance(note.get("value"), str)):
            raise ApiProblem(400, f"{at}.note must be an object with a string 'value'")
        _check_tasks(item.get("children", []), f"{at}.children")


def _add_tasks(state: State, project: FakeProject, raw: list[Any]) -> None:
    """Append checked bundle tasks to ``project``, parents before children."""
    work: list[tuple[FakeTask | None, Any]] = [(None, item) for item in reversed(raw)]
    while work:
        parent, item = work.pop()
        if isinstance(item, str):
            item = {"text": item}
        task = state.new_task(item["text"])
        task.completed = item.get("completed") is True
        note = item.get("note")
        if note is not None:
            task.note = {"type": str(note.get("type", "text/plain")), "value": note["value"]}
        project.tree.append_bulk(task, parent)
        work.extend((task, child) for child in reversed(item.get("children", [])))


def _template_outline(raw: list[Any]) -> list[TaskSpec]:
    """A checked bundle task list as a template outline."""
    result: list[TaskSpec] = []
    for item in raw:
        if isinstance(item, str):
            result.append(item)
        else:
            children = _template_outline(item.get("children", []))
            result.append((item["text"], children) if children else item["text"])
    return result


def _name(item: dict[str, Any], fallback: str) -> str:
    name = item.get("name")
    return name if isinstance(name, str) and name else fallback


def import_bundle(
    state: State, workspace: FakeSpace, bundle: dict[str, Any], files: dict[str, bytes] | None
) -> dict[str, Any]:
    """Create what ``bundle`` holds in ``workspace``; the installation summary.

    Everything is checked first, so a bad bundle installs nothing.
    """
    counts = dict.fromkeys(("project", "flow", "agent", "template", "media", "app"), 0)
    plans: list[tuple[str, str, dict[str, Any], bytes]] = []
    for key, item in bundle["items"].items():
        kind = str(item["type"]).removeprefix("space-bundle-").removesuffix("-item")
        if kind not in counts:
            raise ApiProblem(400, f"items.{key}.type {item['type']!r} is not a bundle item type")
        content = b""
        if kind in ("project", "template"):
            _check_tasks(item.get("tasks", []), f"items.{key}.tasks")
        elif kind == "agent":
            try:
                validate(AGENT_DATA, item.get("data", {"commands": []}), f"items.{key}.data")
            except SchemaError as exc:
                raise ApiProblem(400, str(exc)) from exc
        elif kind == "media":
            content = _media_bytes(item, key, files)
        plans.append((kind, key, item, content))
    for kind, key, item, content in plans:
        name = _name(item, f"Imported {kind} {key}")
        if kind == "project":
            _add_tasks(state, state.add_project(workspace, name), item.get("tasks", []))
        elif kind == "template":
            outline = _template_outline(item.get("tasks", []))
            template = FakeTemplate(state.ids.new(), name, workspace.id, outline)
            state.templates[template.id] = template
        elif kind == "agent":
            new_agent(state, workspace, name, item.get("data", {"commands": []}))
        elif kind == "media":
            content_type = item.get("contentType")
            add_media(
                state,
                workspace,
                _name({"name": item.get("filename")}, key),
                content,
                content_type if isinstance(content_type, str) else None,
            )
        # Flows and apps are counted but not modelled by the fake.
        counts[kind] += 1
    return {
        "id": state.ids.new(),
        "projectCount": counts["project"],
        "flowCount": counts["flow"],
        "agentCount": counts["agent"],
        "templateCount": counts["template"],
        "mediaCount": counts["media"],
        "appCount": counts["app"],
    }


def _media_bytes(item: dict[str, Any], key: str, files: dict[str, bytes] | None) -> bytes:
    encoded = item.get("content")
    if isinstance(encoded, str):
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiProblem(400, f"items.{key}.content is not valid base64") from exc
    if files is not None and f"medias/{key}" in files:
        return files[f"medias/{key}"]
    raise ApiProblem(400, f"items.{key} has no file content")


@handles("bundleImport")
def bundle_import(call: Call) -> Reply:
    workspace = call.state.workspace(call.args["workspaceId"])
    item = import_bundle(call.state, workspace, call.body["bundleData"], None)
    return {"ok": True, "item": item}


@handles("bundleImportZip")
def bundle_import_zip(call: Call) -> Reply:
    workspace = call.state.workspace(call.args["workspaceId"])
    if len(call.raw) > MAX_BUNDLE_ZIP:
        raise ApiProblem(413, "a ZIP bundle may be at most 50 MB")
    try:
        with zipfile.ZipFile(io.BytesIO(call.raw)) as archive:
            names = set(archive.namelist())
            if _BUNDLE_FILE not in names:
                raise ApiProblem(400, f"the ZIP holds no {_BUNDLE_FILE}")
            bundle = json.loads(archive.read(_BUNDLE_FILE))
            files = {name: archive.read(name) for name in names if name.startswith("medias/")}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ApiProblem(400, "the request body is not a valid ZIP archive") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiProblem(400, f"{_BUNDLE_FILE} is not valid JSON") from exc
    try:
        validate(BODIES["bundleImport"]["properties"]["bundleData"], bundle, _BUNDLE_FILE)
    except SchemaError as exc:
        raise ApiProblem(400, str(exc)) from exc
    return {"ok": True, "item": import_bundle(call.state, workspace, bundle, files)}
