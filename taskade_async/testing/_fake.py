"""FakeTaskade: the in-memory Taskade API server tests talk to over real HTTP."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from aiohttp import web
from yarl import URL

from taskade_async._closing import Closing

from ._admin import Admin
from ._automations import Automations
from ._bots import BotBuilders
from ._builders import Builders
from ._faults import Fault, FaultKind, RandomFaults
from ._handlers_v2 import V2_PREFIX
from ._oauth import OAuthClient, OAuthCounters
from ._ratelimit import RateLimiter
from ._server import API_PREFIX, RecordedRequest, Server
from ._state import State

__all__ = ["FakeTaskade"]


class FakeTaskade(Closing, Builders, BotBuilders):
    """A Taskade API server on loopback, with in-memory state and fault injection.

    It serves v1 under ``/api/v1`` and the v2 operations v1 lacks under
    ``/api/v2``, and delivers signed webhook events (see :class:`BotBuilders`).

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
        super().__init__(State(seed))
        #: The personal access token it accepts (``token=``, or a new one).
        self.token: str = token or f"tskdp_{secrets.token_hex(16)}"
        self._server = Server(self._state, self.token, access_token_ttl)
        self._server.latency = latency
        self._server.record = record
        self._automations = Automations()
        self._automations.mount(self._server.app)
        self._admin = Admin(self)
        self._admin.mount(self._server.app)
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
        await self._state.webhooks.close()
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeTaskade:
        await self.start()
        return self

    # -- addresses -----------------------------------------------------------------

    @property
    def admin_url(self) -> URL:
        """The admin API's root, for driving this fake from another process.

        A random path (whoever knows it may switch faults, add automations
        and simulate events): see ``python -m taskade_async.testing serve``.
        """
        return self.url.with_path(self._admin.root)

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
    def v2_base_url(self) -> URL:
        """The v2 API's base URL, ending in ``/api/v2`` (a session derives it from v1's)."""
        return self.url.with_path(V2_PREFIX)

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

    @property
    def rotate_refresh_tokens(self) -> bool:
        """True (default): each refresh answers a new refresh token and the old one dies.

        False: the answer has no ``refresh_token`` and the one sent stays valid.
        """
        return self._server.oauth.rotate_refresh_tokens

    @rotate_refresh_tokens.setter
    def rotate_refresh_tokens(self, on: bool) -> None:
        self._server.oauth.rotate_refresh_tokens = on

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

    # -- automations -----------------------------------------------------------------

    def add_automation(self, bearer: str | None = None) -> str:
        """An automation with a webhook trigger; returns its URL (``.../webhooks/flow/<id>``).

        With ``bearer``, a trigger without ``Authorization: Bearer <bearer>`` gets 401.
        """
        return self._automations.add(self.url, bearer)

    def automation_runs(self, url: str | URL) -> list[dict[str, Any]]:
        """The payloads the automation at ``url`` received and ran, oldest first."""
        return self._automations.runs(url)

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

    @property
    def redirect_downloads(self) -> bool:
        """If True, file downloads answer 302 to a storage URL on another host (localhost).

        The storage URL needs no token, so a client can be checked for not
        sending its bearer token to another origin (see :attr:`requests`).
        """
        return self._server.redirect_downloads

    @redirect_downloads.setter
    def redirect_downloads(self, on: bool) -> None:
        self._server.redirect_downloads = on

    def set_rate_limit(
        self, rps: float | None, burst: int | None = None, *, retry_after: bool = True
    ) -> None:
        """Allow ``rps`` requests per second per token (bursts of ``burst``); None: no limit.

        A token bucket per token: beyond it the API answers 429 with ``Retry-After``
        in whole seconds, or with none if ``retry_after`` is False.
        """
        if rps is None:
            self._server.limiter = None
        else:
            self._server.limiter = RateLimiter(
                rps, burst if burst is not None else max(1, int(rps)), retry_after=retry_after
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
        """Drop every pending fault, and the random faults."""
        self._server.faults.clear()

    def random_faults(self, **rates: Any) -> RandomFaults:
        """Deal faults at random from now on (``seed=`` and rates: see RandomFaults).

        Queued faults (``fail_next`` ...) still come first; ``clear_faults()`` stops it.
        """
        chance = RandomFaults(**rates)
        self._server.faults.random = chance
        return chance

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

    def reset_after_next(self, *, times: int = 1, method: str = "*", path: str = "*") -> Fault:
        """Carry out the next matching requests, then drop the connection before answering."""
        return self.inject(Fault(FaultKind.RESET_AFTER, method, path, times))

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
