"""A small Taskade look-alike on loopback for the exporter's tests.

It serves the read endpoints the exporter walks, from an in-memory account
built by :func:`make_account`, with fault injection: fixed error statuses per
path, a number of 429 answers with ``Retry-After``, and a per-request delay.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

import attrs
from aiohttp import web

TOKEN = "tskdp_test-token"
PREFIX = "/api/v1"


@attrs.define
class Account:
    """The data the server holds, keyed by the ids of the parents."""

    workspaces: list[dict[str, Any]] = attrs.Factory(list)
    folders: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    folder_projects: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    me_projects: list[dict[str, Any]] = attrs.Factory(list)
    projects: dict[str, dict[str, Any]] = attrs.Factory(dict)
    fields: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    members: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    blocks: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    tasks: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    notes: dict[tuple[str, str], dict[str, Any] | None] = attrs.Factory(dict)
    dates: dict[tuple[str, str], dict[str, Any]] = attrs.Factory(dict)
    assignees: dict[tuple[str, str], list[dict[str, Any]]] = attrs.Factory(dict)
    field_values: dict[tuple[str, str], list[dict[str, Any]]] = attrs.Factory(dict)
    agents: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    medias: dict[str, list[dict[str, Any]]] = attrs.Factory(dict)
    files: dict[str, bytes] = attrs.Factory(dict)


def make_account(
    *, workspaces: int = 2, folders: int = 2, projects: int = 3, tasks: int = 30
) -> Account:
    """A deterministic account.

    One project is listed in two folders, one lives in a workspace's own space,
    two only ``me/projects`` shows.
    """
    acc = Account()
    n = 0
    for w in range(workspaces):
        wid = f"ws{w}"
        acc.workspaces.append({"id": wid, "name": f"Workspace {w} ✓"})
        acc.folders[wid] = []
        # The workspace's own space: an agent and a media, and in ws1 a project.
        acc.folder_projects[wid] = []
        acc.agents[wid] = [{"id": f"{wid}-a", "name": "Workspace agent", "space_id": wid}]
        acc.medias[wid] = [{"id": f"{wid}-m", "space_id": wid, "kind": "file"}]
        acc.files[f"{wid}-m"] = b"workspace file"
        if w == 1:
            _add_project(acc, "wsproj", 7)
            acc.folder_projects[wid].append({"id": "wsproj", "name": "In the workspace"})
            acc.me_projects.append({"id": "wsproj", "name": "In the workspace"})
        for f in range(folders):
            fid = f"{wid}-f{f}"
            acc.folders[wid].append({"id": fid, "name": f"Folder {f}"})
            acc.folder_projects[fid] = []
            acc.agents[fid] = [
                {"id": f"{fid}-a{i}", "name": f"Agent {i}", "space_id": fid} for i in range(3)
            ]
            acc.medias[fid] = []
            for i in range(2):
                mid = f"{fid}-m{i}"
                acc.medias[fid].append({"id": mid, "space_id": fid, "kind": "file"})
                acc.files[mid] = f"bytes of {mid}\n".encode() * (i + 1)
            for p in range(projects):
                n += 1
                pid = f"p{n:03d}"
                _add_project(acc, pid, tasks + p)
                acc.folder_projects[fid].append({"id": pid, "name": f"Project {pid}"})
                acc.me_projects.append({"id": pid, "name": f"Project {pid}"})
    # A project listed in a second folder too: exported once, under the first.
    first = acc.folder_projects[f"ws0-f{0}"][0]
    acc.folder_projects[f"ws{workspaces - 1}-f{folders - 1}"].append(dict(first))
    # Projects only ``me/projects`` shows (e.g. shared with the user).
    for extra in ("shared1", "shared2"):
        _add_project(acc, extra, 5)
        acc.me_projects.append({"id": extra, "name": extra})
    return acc


def _add_project(acc: Account, pid: str, tasks: int) -> None:
    acc.projects[pid] = {"id": pid, "name": f"Project {pid}", "extra": {"unknown": [1, 2.5]}}
    acc.fields[pid] = [{"id": f"{pid}-fld", "data": {"type": "boolean"}}]
    acc.members[pid] = [{"handle": f"user{i}", "displayName": f"User {i}"} for i in range(3)]
    acc.blocks[pid] = [{"id": f"{pid}-b{i}", "text": f"Block {i}"} for i in range(4)]
    acc.tasks[pid] = []
    for t in range(tasks):
        tid = f"{pid}-t{t:04d}"
        task: dict[str, Any] = {"id": tid, "text": f"Task {t} 😀", "completed": t % 3 == 0}
        if t % 5:
            task["parentId"] = f"{pid}-t{t - t % 5:04d}"
        acc.tasks[pid].append(task)
        acc.notes[(pid, tid)] = {"type": "text", "value": f"note {t}"} if t % 2 else None
        if t % 4 == 0:
            acc.dates[(pid, tid)] = {"start": {"date": "2026-07-21"}}
        acc.assignees[(pid, tid)] = [{"handle": "user1"}] if t % 3 else []
        acc.field_values[(pid, tid)] = [{"fieldId": f"{pid}-fld", "value": t % 2 == 0}]


def _ok(**body: Any) -> web.Response:
    return web.json_response({"ok": True, **body}, dumps=lambda v: json.dumps(v))


def _error(status: int, code: str) -> web.Response:
    return web.json_response(
        {"ok": False, "code": code, "message": f"{code.lower()} (test)"}, status=status
    )


def _page(items: list[Any], request: web.Request) -> list[Any]:
    limit = int(request.query.get("limit", 100))
    page = int(request.query.get("page", 1))
    return items[(page - 1) * limit : page * limit]


def _cursor(items: list[dict[str, Any]], request: web.Request) -> list[dict[str, Any]]:
    limit = min(int(request.query.get("limit", 100)), 1000)
    after = request.query.get("after")
    start = 0
    if after is not None:
        ids = [item["id"] for item in items]
        if after not in ids:
            raise web.HTTPBadRequest
        start = ids.index(after) + 1
    return items[start : start + limit]


@attrs.define
class Server:
    """The server; ``async with Server(account) as server``, then ``server.base_url``."""

    account: Account
    #: Path (below /api/v1) -> status answered every time.
    faults: dict[str, int] = attrs.Factory(dict)
    #: How many requests get 429 (every ``rate_limit_every``-th), and their Retry-After.
    rate_limited: int = 0
    rate_limit_every: int = 1
    retry_after: str = "0"
    #: Seconds each request waits before it is answered.
    delay: float = 0.0
    hits: Counter[str] = attrs.Factory(Counter)
    #: time.monotonic() of every request's arrival.
    arrivals: list[float] = attrs.Factory(list)
    answered_429: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    base_url: str = ""
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> Server:
        app = web.Application(middlewares=[self._middleware])
        get = app.router.add_get
        get(PREFIX + "/workspaces", self._workspaces)
        get(PREFIX + "/workspaces/{wid}/folders", self._folders)
        get(PREFIX + "/folders/{fid}/projects", self._folder_projects)
        get(PREFIX + "/folders/{fid}/agents", self._agents)
        get(PREFIX + "/folders/{fid}/medias", self._medias)
        get(PREFIX + "/me/projects", self._me_projects)
        get(PREFIX + "/projects/{pid}", self._project)
        get(PREFIX + "/projects/{pid}/fields", self._fields)
        get(PREFIX + "/projects/{pid}/members", self._members)
        get(PREFIX + "/projects/{pid}/blocks", self._blocks)
        get(PREFIX + "/projects/{pid}/tasks", self._tasks)
        get(PREFIX + "/projects/{pid}/tasks/{tid}/{what}", self._task_detail)
        get(PREFIX + "/medias/{mid}/download", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}{PREFIX}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path.removeprefix(PREFIX)
        self.hits[path] += 1
        self.arrivals.append(time.monotonic())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return _error(401, "UNAUTHORIZED")
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.rate_limited > 0 and sum(self.hits.values()) % self.rate_limit_every == 0:
                self.rate_limited -= 1
                self.answered_429 += 1
                response = _error(429, "TOO_MANY_REQUESTS")
                response.headers["Retry-After"] = self.retry_after
                return response
            status = self.faults.get(path)
            if status is not None:
                return _error(status, {403: "FORBIDDEN", 404: "NOT_FOUND"}.get(status, "ERROR"))
            result: web.StreamResponse = await handler(request)
            return result
        finally:
            self.in_flight -= 1

    async def _workspaces(self, request: web.Request) -> web.Response:
        return _ok(items=self.account.workspaces)

    async def _folders(self, request: web.Request) -> web.Response:
        wid = request.match_info["wid"]
        if wid not in self.account.folders:
            return _error(404, "NOT_FOUND")
        return _ok(items=self.account.folders[wid])

    async def _folder_projects(self, request: web.Request) -> web.Response:
        return _ok(items=self.account.folder_projects[request.match_info["fid"]])

    async def _agents(self, request: web.Request) -> web.Response:
        return _ok(items=_page(self.account.agents[request.match_info["fid"]], request))

    async def _medias(self, request: web.Request) -> web.Response:
        return _ok(items=_page(self.account.medias[request.match_info["fid"]], request))

    async def _me_projects(self, request: web.Request) -> web.Response:
        return _ok(items=_page(self.account.me_projects, request))

    async def _project(self, request: web.Request) -> web.Response:
        pid = request.match_info["pid"]
        if pid not in self.account.projects:
            return _error(404, "NOT_FOUND")
        return _ok(item=self.account.projects[pid])

    async def _fields(self, request: web.Request) -> web.Response:
        return _ok(items=self.account.fields[request.match_info["pid"]])

    async def _members(self, request: web.Request) -> web.Response:
        return _ok(items=_page(self.account.members[request.match_info["pid"]], request))

    async def _blocks(self, request: web.Request) -> web.Response:
        return _ok(items=_cursor(self.account.blocks[request.match_info["pid"]], request))

    async def _tasks(self, request: web.Request) -> web.Response:
        return _ok(items=_cursor(self.account.tasks[request.match_info["pid"]], request))

    async def _task_detail(self, request: web.Request) -> web.Response:
        key = (request.match_info["pid"], request.match_info["tid"])
        what = request.match_info["what"]
        acc = self.account
        if what == "note":
            return _ok(item=acc.notes[key])
        if what == "date":
            if key not in acc.dates:
                return _error(404, "NOT_FOUND")
            return _ok(item=acc.dates[key])
        if what == "assignees":
            return _ok(items=acc.assignees[key])
        if what == "fields":
            return _ok(items=acc.field_values[key])
        return _error(404, "NOT_FOUND")

    async def _download(self, request: web.Request) -> web.Response:
        mid = request.match_info["mid"]
        return web.Response(
            body=self.account.files[mid],
            content_type="text/plain",
            headers={"Content-Disposition": f'attachment; filename="{mid}.txt"'},
        )
