"""Workspaces, folders and projects: listing, creating, copying, sharing, paging."""

from __future__ import annotations

from typing import Any

from ._call import Call, Reply, handles
from ._markdown import parse_project
from ._paging import cursor_slice, folder_page, page_slice
from ._state import FakeField, FakeProject, FakeSpace, State
from ._tree import FakeTask

__all__ = ["copy_project", "project_from_markdown"]


def _space_json(space: FakeSpace) -> dict[str, Any]:
    return {"id": space.id, "name": space.name}


def project_from_markdown(state: State, space: FakeSpace, markdown: str) -> FakeProject:
    """A new project in ``space`` built from a markdown document."""
    name, outline = parse_project(markdown)
    project = state.add_project(space, name)
    state.add_outline(project, outline)
    return project


def copy_project(state: State, source: FakeProject, space: FakeSpace, name: str) -> FakeProject:
    """A deep copy of ``source`` in ``space``: tasks, notes, dates, assignees, fields."""
    project = state.add_project(space, name)
    project.fields = [FakeField(f.id, dict(f.data)) for f in source.fields]
    project.members = list(source.members)
    tree = project.tree
    work: list[tuple[FakeTask | None, FakeTask]] = [
        (None, task) for task in reversed(source.tree.roots)
    ]
    while work:
        parent, original = work.pop()
        task = state.new_task(original.text)
        task.completed = original.completed
        task.note = dict(original.note) if original.note is not None else None
        task.date = dict(original.date) if original.date is not None else None
        task.assignees = list(original.assignees)
        task.field_values = dict(original.field_values)
        tree.append_bulk(task, parent)
        work.extend((task, child) for child in reversed(original.children))
    return project


# -- workspaces and folders ---------------------------------------------------


@handles("workspacesGet")
def workspaces_get(call: Call) -> Reply:
    items = [_space_json(s) for s in call.state.spaces.values() if s.is_workspace]
    return {"ok": True, "items": items}


@handles("workspaceFoldersGet")
def workspace_folders_get(call: Call) -> Reply:
    workspace = call.state.workspace(call.args["workspaceId"])
    items = [_space_json(s) for s in call.state.spaces.values() if s.workspace_id == workspace.id]
    return {"ok": True, "items": items}


@handles("workspaceCreateProject")
def workspace_create_project(call: Call) -> Reply:
    return _markdown_project(call, call.state.workspace(call.args["workspaceId"]))


@handles("folderProjectsGet")
def folder_projects_get(call: Call) -> Reply:
    space = call.state.space(call.args["folderId"])
    items = [p.to_json() for p in call.state.projects.values() if p.space_id == space.id]
    return {"ok": True, "items": items}


@handles("folderProjectTemplatesGet")
def folder_templates_get(call: Call) -> Reply:
    return folder_page(call, call.state.templates.values())


@handles("meProjectsGet")
def me_projects_get(call: Call) -> Reply:
    projects = list(call.state.projects.values())
    # Most recently viewed first (or last); never-viewed ones keep creation order.
    if call.query["sort"] == "viewed-desc":
        projects.sort(key=lambda p: -p.viewed)
    else:
        projects.sort(key=lambda p: p.viewed)
    return {"ok": True, "items": [p.to_json() for p in page_slice(projects, call.query)]}


# -- projects -------------------------------------------------------------


@handles("projectGet")
def project_get(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    call.state.mark_viewed(project)
    return {"ok": True, "item": project.to_json()}


@handles("projectCreate")
def project_create(call: Call) -> Reply:
    return _markdown_project(call, call.state.space(call.body["folderId"]))


def _markdown_project(call: Call, space: FakeSpace) -> Reply:
    """A new project in ``space`` made of the body's Markdown ``content``."""
    project = project_from_markdown(call.state, space, call.body["content"])
    return {"ok": True, "item": project.to_json()}


@handles("projectCopy")
def project_copy(call: Call) -> Reply:
    source = call.state.project(call.args["projectId"])
    space = call.state.space(call.body["folderId"])
    name = call.body.get("projectTitle") or source.name
    return {"ok": True, "item": copy_project(call.state, source, space, name).to_json()}


@handles("projectFromTemplate")
def project_from_template(call: Call) -> Reply:
    space = call.state.space(call.body["folderId"])
    template = call.state.template(call.body["templateId"])
    project = call.state.add_project(space, template.name)
    call.state.add_outline(project, template.tasks)
    return {"ok": True, "item": project.to_json()}


@handles("projectComplete")
def project_complete(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    project.completed = True
    return {"ok": True, "item": project.to_json()}


@handles("projectRestore")
def project_restore(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    project.completed = False
    return {"ok": True, "item": project.to_json()}


@handles("projectMembersGet")
def project_members_get(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    members = page_slice(project.members, call.query)
    return {"ok": True, "items": [m.to_json() for m in members]}


@handles("projectFieldsGet")
def project_fields_get(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    return {"ok": True, "items": [f.to_json() for f in project.fields]}


@handles("projectShareLinkGet")
def project_share_link_get(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    return {"ok": True, "item": project.share}


@handles("projectShareLinkEnable")
def project_share_link_enable(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    if project.share is None:
        link = call.root_url / "share" / project.id
        token = call.state.ids.new()
        project.share = {
            "checkUrl": str(link.with_query(mode="check", token=token)),
            "editUrl": str(link.with_query(mode="edit", token=token)),
            "viewUrl": str(link.with_query(mode="view", token=token)),
        }
    return {"ok": True, "item": project.share}


@handles("projectTasksGet")
def project_tasks_get(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    order, index = project.tree.order()
    page = cursor_slice(order, index, call.query)
    return {"ok": True, "items": [task.to_json() for task in page]}


@handles("projectBlocksGet")
def project_blocks_get(call: Call) -> Reply:
    # Blocks are the top-level nodes of the project, in order.
    project = call.state.project(call.args["projectId"])
    page = cursor_slice(project.tree.roots, project.tree.root_index(), call.query)
    return {
        "ok": True,
        "items": [{"id": t.id, "text": t.text, "completed": t.completed} for t in page],
    }
