"""Inbound automation triggers on the fake: ``POST /webhooks/flow/{id}``.

Like Taskade: the URL is the credential; an automation may also want its
own bearer secret (401 without it, and the run is not recorded); each
top-level key of the JSON object becomes a flow variable, so a key with a
space is refused (400), as is a body that is not a JSON object.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any, Final

import attrs
from aiohttp import web
from yarl import URL

from ._problems import ApiProblem, not_found

__all__ = ["Automations"]

PATH: Final = "/webhooks/flow"


@attrs.define
class _Automation:
    bearer: str | None
    runs: list[dict[str, Any]] = attrs.field(factory=list)


def _reply(problem: ApiProblem) -> web.Response:
    return web.json_response(problem.body(), status=problem.status, headers=problem.headers)


class Automations:
    """The fake's automations with a webhook trigger, by their secret id."""

    def __init__(self) -> None:
        self._by_id: dict[str, _Automation] = {}

    def mount(self, app: web.Application) -> None:
        """Serve the trigger URLs on ``app`` (before it starts)."""
        app.router.add_post(PATH + "/{automation_id}", self._trigger)

    def add(self, root: URL, bearer: str | None) -> str:
        """A new automation; returns its trigger URL below ``root``."""
        ident = secrets.token_urlsafe(24)
        self._by_id[ident] = _Automation(bearer)
        return str(root.with_path(f"{PATH}/{ident}"))

    def runs(self, url: str | URL) -> list[dict[str, Any]]:
        """The payloads the automation at ``url`` accepted, oldest first."""
        ident = URL(str(url)).name
        automation = self._by_id.get(ident)
        if automation is None:
            raise not_found("automation", "…" + ident[-4:])
        return [dict(run) for run in automation.runs]

    async def _trigger(self, request: web.Request) -> web.StreamResponse:
        try:
            automation = self._by_id.get(request.match_info["automation_id"])
            if automation is None:
                raise ApiProblem(404, "no automation has this webhook URL")
            if automation.bearer is not None:
                scheme, _, given = request.headers.get("Authorization", "").partition(" ")
                if scheme.lower() != "bearer" or not hmac.compare_digest(
                    given.strip().encode(), automation.bearer.encode()
                ):
                    raise ApiProblem(
                        401,
                        "this automation needs its bearer secret",
                        headers={"WWW-Authenticate": "Bearer"},
                    )
            try:
                payload = json.loads(await request.read())
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                raise ApiProblem(400, "the body must be a JSON object") from None
            if not isinstance(payload, dict):
                raise ApiProblem(400, "the body must be a JSON object")
            spaced = sorted(key for key in payload if any(c.isspace() for c in key))
            if spaced:
                raise ApiProblem(400, f"variable names cannot contain spaces: {spaced[0]!r}")
        except ApiProblem as problem:
            return _reply(problem)
        automation.runs.append(payload)
        return web.json_response({"ok": True})
