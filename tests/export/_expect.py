"""What an export of a test account must contain, computed from the account itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.export._server import Account

Line = dict[str, Any]


def read_lines(out: Path, kind: str) -> list[Line]:
    """The records of ``<kind>.jsonl``, decoded."""
    return [json.loads(line) for line in (out / f"{kind}.jsonl").read_bytes().splitlines()]


def read_files(out: Path) -> dict[str, bytes]:
    """Every ``*.jsonl`` file of an export, by name."""
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.jsonl"))}


def _spaces(acc: Account, wid: str) -> list[tuple[str, str | None]]:
    """(space id, folder id) of a workspace: its own space (no folder), then its folders."""
    return [(wid, None)] + [(f["id"], f["id"]) for f in acc.folders[wid]]


def placement(acc: Account) -> dict[str, tuple[str | None, str | None]]:
    """Project id -> (workspace, folder) where the exporter must file it (first seen)."""
    where: dict[str, tuple[str | None, str | None]] = {}
    for ws in acc.workspaces:
        for sid, fid in _spaces(acc, ws["id"]):
            for project in acc.folder_projects[sid]:
                where.setdefault(project["id"], (ws["id"], fid))
    for project in acc.me_projects:
        where.setdefault(project["id"], (None, None))
    return where


def expected(acc: Account, *, details: bool = False) -> dict[str, list[Line]]:
    """Every record the full export of ``acc`` must hold, per type, in file order."""
    out: dict[str, list[Line]] = {k: [] for k in ("workspaces", "folders", "agents", "medias")}
    for ws in acc.workspaces:
        out["workspaces"].append({"data": ws})
        for folder in acc.folders[ws["id"]]:
            out["folders"].append({"workspaceId": ws["id"], "data": folder})
    project_kinds = ["projects", "fields", "members", "blocks", "tasks"]
    if details:
        project_kinds += ["task_notes", "task_dates", "task_assignees", "task_field_values"]
    for kind in project_kinds:
        out[kind] = []
    where = placement(acc)
    # Units follow the walk: each folder's unit, then its projects; unfiled ones last.
    order: list[tuple[str, str, dict[str, str | None]]] = []
    for ws in acc.workspaces:
        for sid, fid in _spaces(acc, ws["id"]):
            parents: dict[str, str | None] = {"workspaceId": ws["id"], "folderId": fid}
            order.append(("folder", sid, parents))
            for project in acc.folder_projects[sid]:
                if where[project["id"]] == (ws["id"], fid) and not any(
                    u[1] == project["id"] for u in order
                ):
                    order.append(("project", project["id"], parents))
    for pid, (wid, fid) in where.items():
        if wid is None:
            order.append(("project", pid, {"workspaceId": None, "folderId": fid}))
    for kind, uid, parents in order:
        if kind == "folder":
            out["agents"] += [{**parents, "data": a} for a in acc.agents[uid]]
            out["medias"] += [{**parents, "data": m} for m in acc.medias[uid]]
            continue
        pp = {**parents, "projectId": uid}
        out["projects"].append({**parents, "data": acc.projects[uid]})
        out["fields"] += [{**pp, "data": x} for x in acc.fields[uid]]
        out["members"] += [{**pp, "data": x} for x in acc.members[uid]]
        out["blocks"] += [{**pp, "data": x} for x in acc.blocks[uid]]
        out["tasks"] += [{**pp, "data": x} for x in acc.tasks[uid]]
        if details:
            for task in acc.tasks[uid]:
                key = (uid, task["id"])
                tp = {**pp, "taskId": task["id"]}
                if acc.notes[key] is not None:
                    out["task_notes"].append({**tp, "data": acc.notes[key]})
                if key in acc.dates:
                    out["task_dates"].append({**tp, "data": acc.dates[key]})
                out["task_assignees"] += [{**tp, "data": x} for x in acc.assignees[key]]
                out["task_field_values"] += [{**tp, "data": x} for x in acc.field_values[key]]
    return out
