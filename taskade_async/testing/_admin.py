"""The fake's admin API: drive a FakeTaskade from another process (``serve`` prints its URL).

Everything lives under ``/_admin/<secret>/`` (the secret is random per
fake, so only whoever read the URL can use it); JSON in, JSON out. Admin
requests are not recorded, rate-limited or hit by faults.

- ``GET  .../``: what is here.
- ``PUT  .../faults`` ``{"faults": "reset:0.02,503:0.03,seed:1"}``: random
  faults from now on (the text of ``serve --faults``); ``DELETE .../faults``
  stops them and drops queued ones; ``GET .../faults``: what is pending and
  what was dealt.
- ``POST .../faults/next`` ``{"kind": "status", "status": 503, "times": 2,
  "method": "GET", "path": "/api/v1/projects/*"}``: queue one fault (kinds:
  ``status``, ``reset``, ``reset_after``, ``reset_mid_body``, ``delay`` with
  ``seconds``, ``html``, ``truncated_json``).
- ``POST .../automations`` ``{"bearer": null}``: a new automation; answers
  ``{"url": ...}``. ``GET .../automations/runs?url=...``: its runs.
- ``POST .../events/task.due`` ``{"projectId", "taskId"}``,
  ``.../events/comment.created`` ``{"projectId", "taskId", "body"}``,
  ``.../events/project.assigned`` ``{"projectId", "assigneeName"}``,
  ``.../events/project.joined`` ``{"projectId", "joinerName"}``: simulate
  the builder event; answers ``{"deliveries": N}`` once they were sent.
- ``GET .../deliveries``: every delivery so far (event, url, status, error).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from ._faults import Fault, FaultKind
from ._faultspec import parse_faults
from ._problems import ApiProblem

if TYPE_CHECKING:
    from ._fake import FakeTaskade

__all__ = ["PREFIX", "Admin"]

PREFIX: Final = "/_admin/"
_KINDS: Final = {
    "status": FaultKind.STATUS,
    "reset": FaultKind.RESET,
    "reset_after": FaultKind.RESET_AFTER,
    "reset_mid_body": FaultKind.RESET_MID_BODY,
    "delay": FaultKind.DELAY,
    "html": FaultKind.HTML,
    "truncated_json": FaultKind.TRUNCATED_JSON,
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _BadRequest(Exception):
    """An admin request the admin API cannot carry out (answered 400)."""


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise _BadRequest(f"{key!r} must be a non-empty string")
    return value


class Admin:
    """The admin routes of one fake, under ``/_admin/<secret>/``."""

    def __init__(self, fake: FakeTaskade) -> None:
        self._fake = fake
        self.secret = secrets.token_urlsafe(24)
        self.root = f"{PREFIX}{self.secret}"

    def mount(self, app: web.Application) -> None:
        """Add the routes to ``app`` (before it starts)."""
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/", self._index),
            ("GET", "/faults", self._faults),
            ("PUT", "/faults", self._set_faults),
            ("DELETE", "/faults", self._clear_faults),
            ("POST", "/faults/next", self._next_fault),
            ("POST", "/automations", self._add_automation),
            ("GET", "/automations/runs", self._runs),
            ("POST", "/events/{event}", self._event),
            ("GET", "/deliveries", self._deliveries),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, self.root + path, _guarded(handler))

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True, "help": __doc__})

    async def _faults(self, request: web.Request) -> web.StreamResponse:
        server = self._fake._server
        chance = server.faults.random
        drawn = dict(chance.drawn) if chance is not None else {}
        return web.json_response({"ok": True, "pending": len(server.faults), "drawn": drawn})

    async def _set_faults(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        try:
            self._fake.random_faults(**parse_faults(body.get("faults", "")))
        except (TypeError, ValueError) as exc:
            raise _BadRequest(str(exc)) from None
        return web.json_response({"ok": True})

    async def _clear_faults(self, request: web.Request) -> web.StreamResponse:
        self._fake.clear_faults()
        return web.json_response({"ok": True})

    async def _next_fault(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        kind = _KINDS.get(str(body.get("kind", "status")))
        if kind is None:
            raise _BadRequest(f"kind must be one of {', '.join(_KINDS)}")
        try:
            fault = Fault(
                kind,
                str(body.get("method", "*")),
                str(body.get("path", "*")),
                int(body.get("times", 1)),
                int(body.get("status", 503 if kind is FaultKind.STATUS else 502)),
                None if body.get("retry_after") is None else float(body["retry_after"]),
                body.get("message"),
                seconds=float(body.get("seconds", 0.0)),
            )
        except (TypeError, ValueError) as exc:
            raise _BadRequest(f"bad fault: {exc}") from None
        self._fake.inject(fault)
        return web.json_response({"ok": True})

    async def _add_automation(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        bearer = body.get("bearer")
        if bearer is not None and not isinstance(bearer, str):
            raise _BadRequest("bearer must be a string or null")
        url = self._fake.add_automation(bearer)
        return web.json_response({"ok": True, "url": url}, status=201)

    async def _runs(self, request: web.Request) -> web.StreamResponse:
        url = request.query.get("url")
        if not url:
            raise _BadRequest("?url= (the automation's URL) is required")
        return web.json_response({"ok": True, "runs": self._fake.automation_runs(url)})

    async def _event(self, request: web.Request) -> web.StreamResponse:
        body = await _json(request)
        event = request.match_info["event"]
        fake = self._fake
        if event == "task.due":
            sent = fake.simulate_task_due(_text(body, "projectId"), _text(body, "taskId"))
        elif event == "comment.created":
            sent = fake.simulate_comment(
                _text(body, "projectId"),
                _text(body, "taskId"),
                _text(body, "body"),
                handle=str(body.get("handle", "commenter")),
            )
        elif event == "project.assigned":
            sent = fake.simulate_project_assigned(
                _text(body, "projectId"), _text(body, "assigneeName")
            )
        elif event == "project.joined":
            sent = fake.simulate_project_joined(_text(body, "projectId"), _text(body, "joinerName"))
        else:
            raise _BadRequest(
                "event must be task.due, comment.created, project.assigned or project.joined"
            )
        await fake.deliveries_idle()
        return web.json_response({"ok": True, "deliveries": sent})

    async def _deliveries(self, request: web.Request) -> web.StreamResponse:
        out = [
            {"event": d.event, "url": d.url, "status": d.status, "error": d.error}
            for d in self._fake.deliveries
        ]
        return web.json_response({"ok": True, "deliveries": out})


async def _json(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise _BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    return body


def _guarded(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except _BadRequest as exc:
            return web.json_response({"ok": False, "message": str(exc)}, status=400)
        except ApiProblem as exc:
            return web.json_response(exc.body(), status=exc.status)

    return guarded
