"""FakeTaskade: the in-memory Taskade API server tests talk to over real HTTP."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType, TracebackType
from typing import Any

from aiohttp import web
from yarl import URL

from ._faults import Fault, FaultKind
from ._handlers_agents import new_agent
from ._handlers_files import add_media
from ._handlers_projects import copy_project
from ._oauth import OAuthClient, OAuthCounters
from ._ratelimit import RateLimiter
from ._server import API_PREFIX, RecordedRequest, Server
from ._state import Agent, Convo, Field, Media, Member, Project, Space, State, TaskSpec, Template
from ._tree import Task, TreeError

__all__ = ["FakeTaskade"]


class FakeTaskade:
    """A Taskade API v1 server on loopback, with in-memory state and fault injection.

    ``async with FakeTaskade() as fake:`` starts it on 127.0.0.1 and a free
    port; point a client at :attr:`base_url` with :attr:`token`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        token: str | None = None,
        access_token_ttl: float = 3600.0,
        latency: float = 0.0,
        record: bool = True,
    ) -> None:
        self._host = host
        self._port = port
        self.token: str = token or f"tskdp_{secrets.token_hex(16)}"
        self._server = Server(State(seed), self.token, access_token_ttl)
        self._server.latency = latency
        self._server.record = record
        self._runner: web.AppRunner | None = None
        self._url: URL | None = None

    def __repr__(self) -> str:
        where = str(self._url) if self._url is not None else "not started"
        return f"<FakeTaskade {where}>"

    # -- life cycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Start serving (idempotent)."""
        if self._runner is not None:
            return
        runner = web.AppRunner(self._server.app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._url = URL.build(scheme="http", host=host, port=port)
        self._server.root_url = self._url

    async def close(self) -> None:
        """Stop serving and close open connections (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeTaskade:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- addresses -----------------------------------------------------------------

    @property
    def url(self) -> URL:
        """The server's root URL (``http://127.0.0.1:PORT``)."""
        if self._url is None:
            raise RuntimeError("the FakeTaskade is not started")
        return self._url

    @property
    def base_url(self) -> URL:
        """The API's base URL, ending in ``/api/v1``."""
        return self.url.with_path(API_PREFIX)

    @property
    def token_url(self) -> URL:
        """The OAuth2 token endpoint."""
        return self.url / "oauth2" / "token"

    @property
    def authorize_url(self) -> URL:
        """The OAuth2 authorization endpoint."""
        return self.url / "oauth2" / "authorize"

    # -- auth ----------------------------------------------------------------------

    def register_client(
        self,
        redirect_uris: Sequence[str] = ("http://127.0.0.1/callback",),
        *,
        client_id: str | None = None,
        confidential: bool = False,
    ) -> OAuthClient:
        """Register an OAuth2 app; a confidential one gets a ``client_secret``."""
        return self._server.oauth.register(
            redirect_uris, client_id=client_id, confidential=confidential
        )

    @property
    def oauth_clients(self) -> Mapping[str, OAuthClient]:
        """The registered OAuth2 clients by client id (also those registered over HTTP)."""
        return MappingProxyType(self._server.oauth.clients)

    def add_token(self, token: str | None = None) -> str:
        """Accept one more personal token (made up if not given); return it."""
        token = token or f"tskdp_{secrets.token_hex(16)}"
        self._server.personal_tokens.add(token)
        return token

    def revoke_token(self, token: str) -> None:
        """Stop accepting a personal token."""
        self._server.personal_tokens.discard(token)

    def issue_tokens(self, client: OAuthClient) -> dict[str, Any]:
        """Tokens for ``client`` without the browser dance (the token endpoint's JSON)."""
        return self._server.oauth.issue(client.client_id)

    def expire_tokens(self) -> None:
        """Make every OAuth2 access token issued so far expire now."""
        self._server.oauth.expire_all()

    @property
    def access_token_ttl(self) -> float:
        """Lifetime of new OAuth2 access tokens, in seconds."""
        return self._server.oauth.access_token_ttl

    @access_token_ttl.setter
    def access_token_ttl(self, seconds: float) -> None:
        self._server.oauth.access_token_ttl = seconds

    @property
    def oauth_counters(self) -> OAuthCounters:
        """How many authorizations, code grants, refresh grants and rejections were served."""
        return self._server.oauth.counters

    # -- traffic control -------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (when recording is on)."""
        return self._server.requests

    @property
    def latency(self) -> float:
        """Seconds added before every answer (e.g. 0.02 for benchmarks)."""
        return self._server.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._server.latency = seconds

    @property
    def record(self) -> bool:
        """Whether requests are kept in :attr:`requests`."""
        return self._server.record

    @record.setter
    def record(self, on: bool) -> None:
        self._server.record = on

    def set_rate_limit(self, rps: float | None, burst: int | None = None) -> None:
        """Allow ``rps`` requests per second per token (bursts of ``burst``); None: no limit.

        Beyond it the API answers 429 with ``Retry-After``.
        """
        if rps is None:
            self._server.limiter = None
        else:
            self._server.limiter = RateLimiter(
                rps, burst if burst is not None else max(1, int(rps))
            )

    @property
    def rate_limited(self) -> int:
        """How many requests the rate limit has refused."""
        limiter = self._server.limiter
        return 0 if limiter is None else limiter.rejected

    # -- faults ----------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        """Activate a fault; it applies to the next ``fault.remaining`` matching requests."""
        return self._server.faults.add(fault)

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._server.faults.clear()

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults that still have requests to apply to."""
        return list(self._server.faults)

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        method: str = "*",
        path: str = "*",
        retry_after: float | datetime | None = None,
        message: str | None = None,
    ) -> Fault:
        """Answer the next matching requests with ``status`` in the API's error shape.

        ``path`` is a glob over the path from the root (``/api/v1/projects/*``).
        """
        return self.inject(
            Fault(FaultKind.STATUS, method, path, times, status, retry_after, message)
        )

    def reset_next(self, *, times: int = 1, method: str = "*", path: str = "*") -> Fault:
        """Drop the connection of the next matching requests before any response."""
        return self.inject(Fault(FaultKind.RESET, method, path, times))

    def reset_mid_body_next(self, *, times: int = 1, method: str = "*", path: str = "*") -> Fault:
        """Carry out the next matching requests but cut their response body in the middle."""
        return self.inject(Fault(FaultKind.RESET_MID_BODY, method, path, times))

    def delay_next(
        self, seconds: float, *, times: int = 1, method: str = "*", path: str = "*"
    ) -> Fault:
        """Hold the next matching requests for ``seconds`` before answering normally."""
        return self.inject(Fault(FaultKind.DELAY, method, path, times, seconds=seconds))

    def html_next(
        self, status: int = 502, *, times: int = 1, method: str = "*", path: str = "*"
    ) -> Fault:
        """Answer the next matching requests with a proxy's HTML error page."""
        return self.inject(Fault(FaultKind.HTML, method, path, times, status))

    def truncated_json_next(self, *, times: int = 1, method: str = "*", path: str = "*") -> Fault:
        """Carry out the next matching requests but answer 200 with cut-off JSON."""
        return self.inject(Fault(FaultKind.TRUNCATED_JSON, method, path, times))

    # -- builders --------------------------------------------------------------------

    @property
    def state(self) -> State:
        """The raw in-memory state (for inspection beyond the typed accessors)."""
        return self._server.state

    def add_workspace(self, name: str, *, workspace_id: str | None = None) -> Space:
        """Create a workspace."""
        return self.state.add_space(name, None, workspace_id)

    def add_folder(
        self, workspace: Space | str, name: str, *, folder_id: str | None = None
    ) -> Space:
        """Create a folder in ``workspace``."""
        return self.state.add_space(name, _id(workspace), folder_id)

    def add_member(
        self, workspace: Space | str, handle: str, display_name: str | None = None
    ) -> Member:
        """Add a person to a workspace and to every project already in it."""
        space = self.state.workspace(_id(workspace))
        member = Member(handle, display_name or handle)
        self.state.workspace_members(space).append(member)
        for project in self.state.projects.values():
            if self.state.spaces[project.space_id].root_id == space.id:
                project.members.append(member)
        return member

    def add_project(
        self,
        space: Space | str,
        name: str,
        *,
        tasks: Sequence[TaskSpec] = (),
        task_count: int = 0,
        project_id: str | None = None,
        seed: int = 0,
    ) -> Project:
        """Create a project, with tasks from a nested outline and/or ``task_count`` more.

        ``tasks`` items are a text or ``(text, children)``. ``task_count`` adds
        that many generated tasks, nested up to five levels; they are created
        in document order, so the tree lists them in creation order.
        """
        project = self.state.add_project(self.state.space(_id(space)), name, project_id)
        self.state.add_outline(project, tasks)
        if task_count:
            self._bulk_tasks(project, task_count, random.Random(seed))
        return project

    def _bulk_tasks(self, project: Project, count: int, rng: random.Random) -> list[Task]:
        tree = project.tree
        new_task = self.state.new_task
        path: list[Task] = []  # the open ancestors of the next task
        made = []
        draw = rng.random
        for i in range(count):
            roll = draw()
            if path and roll < 0.25:
                path.pop()
            parent = path[-1] if path else None
            task = new_task(f"Task {i + 1}")
            tree.append_bulk(task, parent)
            made.append(task)
            if len(path) < 5 and roll > 0.6:
                path.append(task)
        return made

    def add_task(
        self,
        project: Project | str,
        text: str,
        *,
        parent: Task | str | None = None,
        placement: str = "beforeend",
        relative_to: Task | str | None = None,
        completed: bool = False,
        note: str | None = None,
        date: dict[str, Any] | None = None,
        assignees: Iterable[str] = (),
        task_id: str | None = None,
    ) -> Task:
        """Add one task: by default the last child of ``parent`` (or of the root).

        Give ``relative_to`` and ``placement`` for the API's placements instead.
        """
        proj = self.state.project(_id(project))
        if parent is not None and relative_to is not None:
            raise ValueError("give parent or relative_to, not both")
        reference_id = _id(relative_to if relative_to is not None else parent)
        reference = proj.task(reference_id) if reference_id else None
        task = self.state.new_task(text, task_id)
        task.completed = completed
        if note is not None:
            task.note = {"type": "text/markdown", "value": note}
        task.date = date
        task.assignees = list(assignees)
        try:
            proj.tree.insert(task, reference, placement if relative_to is not None else "beforeend")
        except TreeError as exc:
            raise ValueError(str(exc)) from exc
        return task

    def add_field(
        self, project: Project | str, data: dict[str, Any], *, field_id: str | None = None
    ) -> Field:
        """Add a custom field (``data`` is the API's field definition) to a project."""
        proj = self.state.project(_id(project))
        field = Field(field_id or self.state.ids.new(), data)
        proj.fields.append(field)
        return field

    def add_template(
        self, space: Space | str, name: str, tasks: Sequence[TaskSpec] = ()
    ) -> Template:
        """Add a project template to a folder or workspace."""
        space_obj = self.state.space(_id(space))
        template = Template(self.state.ids.new(), name, space_obj.id, list(tasks))
        self.state.templates[template.id] = template
        return template

    def add_agent(
        self, space: Space | str, name: str, *, data: dict[str, Any] | None = None
    ) -> Agent:
        """Add an agent (``data`` in the API's SpaceAgent ``data`` shape)."""
        agent_data = data if data is not None else {"commands": []}
        return new_agent(self.state, self.state.space(_id(space)), name, agent_data)

    def add_convo(
        self,
        agent: Agent | str,
        title: str,
        *,
        status: str = "idle",
        llm: tuple[str, str] = ("openai", "gpt-4o"),
        ended_at: float | None = None,
    ) -> Convo:
        """Add a conversation to an agent."""
        owner = self.state.agent(_id(agent))
        data: dict[str, Any] = {"llm": {"type": llm[0], "name": llm[1]}}
        if ended_at is not None:
            data["endedAt"] = ended_at
        convo = Convo(self.state.ids.new(), owner.id, status, title, data)
        owner.convos.append(convo)
        return convo

    def add_media(
        self,
        space: Space | str,
        filename: str,
        content: bytes,
        content_type: str | None = None,
    ) -> Media:
        """Store a file in a space (content type guessed from the name if not given)."""
        return add_media(self.state, self.state.space(_id(space)), filename, content, content_type)

    def copy_project(self, project: Project | str, space: Space | str, name: str) -> Project:
        """Deep-copy a project into a space, as the API's copy does."""
        return copy_project(
            self.state, self.state.project(_id(project)), self.state.space(_id(space)), name
        )

    def load_demo(self, seed: int = 0) -> None:
        """Add the deterministic demo account (see :mod:`taskade_async.testing._demo`)."""
        from ._demo import build_demo

        build_demo(self, seed)

    # -- inspection ------------------------------------------------------------------

    @property
    def workspaces(self) -> list[Space]:
        """All workspaces, in creation order."""
        return [s for s in self.state.spaces.values() if s.is_workspace]

    def folders(self, workspace: Space | str) -> list[Space]:
        """The folders of a workspace."""
        ws = _id(workspace)
        return [s for s in self.state.spaces.values() if s.workspace_id == ws]

    @property
    def projects(self) -> list[Project]:
        """All projects, in creation order."""
        return list(self.state.projects.values())

    def project(self, project_id: str) -> Project:
        """The project with this id (KeyError if unknown)."""
        try:
            return self.state.projects[project_id]
        except KeyError:
            raise KeyError(project_id) from None

    def tasks(self, project: Project | str) -> list[Task]:
        """A project's tasks in document order (depth first, parents first)."""
        return list(self.project(_id(project)).tree.order()[0])

    def task(self, project: Project | str, task_id: str) -> Task:
        """One task of a project (KeyError if unknown)."""
        return self.project(_id(project)).tree.by_id[task_id]

    def note(self, project: Project | str, task_id: str) -> str | None:
        """The note text of a task, or None."""
        note = self.task(project, task_id).note
        return None if note is None else note["value"]

    @property
    def agents(self) -> list[Agent]:
        """All agents, in creation order."""
        return list(self.state.agents.values())

    @property
    def medias(self) -> list[Media]:
        """All medias, in creation order."""
        return list(self.state.medias.values())

    @property
    def templates(self) -> list[Template]:
        """All project templates, in creation order."""
        return list(self.state.templates.values())


def _id(thing: Any) -> str:
    """The id of a record or the id itself (None stays falsy: '')."""
    if thing is None:
        return ""
    if isinstance(thing, str):
        return thing
    ident = getattr(thing, "id", None)
    if not isinstance(ident, str):
        raise TypeError(f"expected a record or an id, not {type(thing).__name__}")
    return ident
