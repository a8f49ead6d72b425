"""Tasks: create, update, move, complete, delete, and what hangs on a task."""

from __future__ import annotations

from typing import Any, Literal

from ._call import Call, Reply, handles
from ._problems import ApiProblem, not_found
from ._state import FakeProject
from ._tree import ROOT_PLACEMENTS, FakeTask, TreeError


def _project_task(call: Call) -> tuple[FakeProject, FakeTask]:
    project = call.state.project(call.args["projectId"])
    return project, project.task(call.args["taskId"])


def _item(task: FakeTask) -> Reply:
    return {"ok": True, "item": task.to_json()}


@handles("taskGet")
def task_get(call: Call) -> Reply:
    return _item(_project_task(call)[1])


@handles("taskCreate")
def task_create(call: Call) -> Reply:
    project = call.state.project(call.args["projectId"])
    specs: list[dict[str, Any]] = call.body["tasks"]
    tree = project.tree
    # Check every item before changing anything, so a bad item creates nothing. New ids
    # are made here, so an item can only refer to a task that exists already.
    references: list[FakeTask | None] = []
    for i, spec in enumerate(specs):
        reference_id = spec.get("taskId")
        if reference_id is None:
            if spec["placement"] not in ROOT_PLACEMENTS:
                raise ApiProblem(
                    400,
                    f"tasks[{i}].placement {spec['placement']!r} needs a taskId; at the "
                    "project root only 'afterbegin' and 'beforeend' are valid",
                )
            references.append(None)
        else:
            references.append(project.task(reference_id))
    created = []
    for spec, reference in zip(specs, references, strict=True):
        task = call.state.new_task(spec["content"])
        tree.insert(task, reference, spec["placement"])
        created.append(task.to_json())
    return {"ok": True, "item": created}


@handles("taskPut")
def task_put(call: Call) -> Reply:
    _, task = _project_task(call)
    task.text = call.body["content"]
    return _item(task)


@handles("taskDelete")
def task_delete(call: Call) -> Reply:
    project, task = _project_task(call)
    project.tree.remove(task)
    return {"ok": True}


@handles("taskComplete")
def task_complete(call: Call) -> Reply:
    _, task = _project_task(call)
    task.completed = True
    return _item(task)


@handles("taskUncomplete")
def task_uncomplete(call: Call) -> Reply:
    _, task = _project_task(call)
    task.completed = False
    return _item(task)


@handles("taskMove")
def task_move(call: Call) -> Reply:
    project, task = _project_task(call)
    target = call.body["target"]
    reference = project.task(target["taskId"])
    try:
        project.tree.move(task, reference, target["position"])
    except TreeError as exc:
        raise ApiProblem(400, str(exc)) from exc
    return _item(task)


# -- assignees -------------------------------------------------------------


@handles("taskAssigneesGet")
def task_assignees_get(call: Call) -> Reply:
    project, task = _project_task(call)
    people = {m.handle: m for m in project.members}
    items = [people[h].to_json() if h in people else {"handle": h} for h in task.assignees]
    return {"ok": True, "items": items}


@handles("taskPutAssignees")
def task_put_assignees(call: Call) -> Reply:
    project, task = _project_task(call)
    handles_: list[str] = call.body["handles"]
    known = {m.handle for m in project.members}
    unknown = [h for h in handles_ if h not in known]
    if unknown:
        raise ApiProblem(400, f"not members of this project: {', '.join(unknown)}")
    task.assignees = list(dict.fromkeys(handles_))
    return _item(task)


@handles("taskDeleteAssignees")
def task_delete_assignee(call: Call) -> Reply:
    _, task = _project_task(call)
    handle = call.args["assigneeHandle"]
    if handle not in task.assignees:
        raise not_found("Assignee", handle)
    task.assignees.remove(handle)
    return _item(task)


# -- date --------------------------------------------------------------------


def _clear(task: FakeTask, part: Literal["date", "note"]) -> None:
    """Remove the task's date or note, or a 404 if it has none."""
    if getattr(task, part) is None:
        raise ApiProblem(404, f"Task {task.id!r} has no {part}")
    setattr(task, part, None)


def _part(call: Call, part: Literal["date", "note"]) -> Reply:
    """The task's date or note as the item.

    None set: a note is a null item (the spec allows it), a date a 404 (its
    spec has no null item); the client's ``get_note`` and ``get_date`` say None.
    """
    _, task = _project_task(call)
    value = getattr(task, part)
    if value is None and part == "date":
        raise ApiProblem(404, f"Task {task.id!r} has no date")
    return {"ok": True, "item": value}


@handles("taskGetDate")
def task_get_date(call: Call) -> Reply:
    return _part(call, "date")


@handles("taskPutDate")
def task_put_date(call: Call) -> Reply:
    _, task = _project_task(call)
    start = call.body["start"]
    end = call.body.get("end")
    if end is not None and (end["date"], end.get("time") or "") < (
        start["date"],
        start.get("time") or "",
    ):
        raise ApiProblem(400, "end must not be before start")
    task.date = {"start": start} if end is None else {"start": start, "end": end}
    return _item(task)


@handles("taskDeleteDate")
def task_delete_date(call: Call) -> Reply:
    _, task = _project_task(call)
    _clear(task, "date")
    return _item(task)


# -- note --------------------------------------------------------------------


@handles("taskNoteGet")
def task_note_get(call: Call) -> Reply:
    return _part(call, "note")


@handles("taskNotePut")
def task_note_put(call: Call) -> Reply:
    _, task = _project_task(call)
    task.note = {"type": call.body["type"], "value": call.body["value"]}
    return {"ok": True, "item": task.note}


@handles("taskNoteDelete")
def task_note_delete(call: Call) -> Reply:
    _, task = _project_task(call)
    _clear(task, "note")
    return {"ok": True}


# -- custom field values -------------------------------------------------------


@handles("taskFieldsValueGet")
def task_fields_get(call: Call) -> Reply:
    project, task = _project_task(call)
    items = []
    for field in project.fields:
        if field.id in task.field_values:
            items.append({"fieldId": field.id, "value": task.field_values[field.id]})
    return {"ok": True, "items": items}


@handles("taskFieldValueGet")
def task_field_get(call: Call) -> Reply:
    project, task = _project_task(call)
    field = project.field(call.args["fieldId"])
    if field.id not in task.field_values:
        return {"ok": True, "item": {"fieldId": field.id, "value": None}}
    return {"ok": True, "item": {"fieldId": field.id, "value": task.field_values[field.id]}}


@handles("taskFieldValuePut")
def task_field_put(call: Call) -> Reply:
    project, task = _project_task(call)
    field = project.field(call.args["fieldId"])
    value = call.body["value"]
    if field.type == "number" and not isinstance(value, int | float):
        raise ApiProblem(400, f"field {field.id!r} holds numbers")
    if field.type == "Select" and value not in field.data.get("options", {}):
        raise ApiProblem(400, f"{value!r} is not an option of field {field.id!r}")
    task.field_values[field.id] = value
    return {"ok": True}


@handles("taskFieldValueDelete")
def task_field_delete(call: Call) -> Reply:
    project, task = _project_task(call)
    field = project.field(call.args["fieldId"])
    if task.field_values.pop(field.id, None) is None:
        raise ApiProblem(404, f"Task {task.id!r} has no value for field {field.id!r}")
    return {"ok": True}
