"""The fake's signed outbound webhooks: the registry and the deliveries it POSTs.

Each event is sent as Taskade sends it: a POST of the flat JSON payload, with
``X-Taskade-Signature: sha256=<hex HMAC-SHA256(secret, the exact bytes sent)>``.
Deliveries run as background tasks; :meth:`Webhooks.idle` waits for them and
:attr:`Webhooks.deliveries` logs each one with its outcome. Fault switches:
the next delivery sent twice, signed with a wrong secret, or held until the
test releases it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import aiohttp
import attrs
from yarl import URL

from taskade_async._targets import https_problem as _https_problem

from ._problems import ApiProblem

__all__ = ["EVENTS", "Delivery", "Hook", "Webhooks", "sign"]

#: The six events Taskade signs and sends.
EVENTS: Final = (
    "task.due",
    "comment.created",
    "task.assigned",
    "project.created",
    "project.assigned",
    "project.joined",
)
#: At most this many event x workspace combinations per account.
MAX_COMBINATIONS: Final = 100
MAX_URL: Final = 2048
SIGNATURE_HEADER: Final = "X-Taskade-Signature"
_TIMEOUT: Final = aiohttp.ClientTimeout(total=30.0)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body`` (the fake's own HMAC, as Taskade's)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@attrs.define(eq=False)
class Hook:
    """A registered webhook; its id is its target URL."""

    url: str
    events: list[str]
    space_ids: list[str]
    secret: str = attrs.field(repr=False)
    created_at: str = attrs.Factory(_now)

    @property
    def combinations(self) -> int:
        """Event x workspace combinations it uses (no spaces: all of them, counted once)."""
        return len(self.events) * max(1, len(self.space_ids))

    def wants(self, event: str, space_ids: Sequence[str]) -> bool:
        """Whether an ``event`` in one of ``space_ids`` goes to this webhook."""
        if event not in self.events:
            return False
        return not self.space_ids or any(s in self.space_ids for s in space_ids)

    def to_json(self) -> dict[str, Any]:
        """The API's ``Webhook`` shape (the secret is never in it)."""
        return {
            "id": self.url,
            "url": self.url,
            "events": list(self.events),
            "spaceIds": list(self.space_ids),
            "createdAt": self.created_at,
        }


@attrs.define(eq=False)
class Delivery:
    """One POST of an event to a target URL, and how it went."""

    event: str
    url: str
    body: bytes
    signature: str
    duplicate: bool = False  # a second copy (the duplicate fault)
    held: bool = False  # waited for the test to release it (the delay fault)
    status: int | None = None  # the receiver's answer, once sent
    error: str | None = None  # why it could not be sent

    @property
    def payload(self) -> Any:
        """The JSON payload sent."""
        return json.loads(self.body)


class Webhooks:
    """The account's webhooks, and the deliveries of the events that happen to it."""

    def __init__(self) -> None:
        self.hooks: dict[str, Hook] = {}
        #: If True, creating a webhook needs a plan the account lacks (402).
        self.require_plan = False
        #: Every delivery started, in the order it was sent (or failed).
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None
        self._duplicates = 0
        self._bad_signatures = 0
        self._holds: deque[asyncio.Event] = deque()

    # -- the registry ------------------------------------------------------------

    def create(self, url: str, events: Sequence[str], space_ids: Sequence[str]) -> Hook:
        """Register a webhook, as the API checks it; raise ApiProblem if refused."""
        if self.require_plan:
            raise ApiProblem(402, "webhooks need the Pro plan or higher")
        target = URL(url)
        problem = _https_problem(target)
        if problem is not None:
            raise ApiProblem(400, f"targetUrl {problem}")
        if len(str(target)) > MAX_URL:
            raise ApiProblem(400, f"targetUrl must be at most {MAX_URL} characters encoded")
        if url in self.hooks:
            raise ApiProblem(409, "a webhook with this targetUrl exists; delete it first")
        hook = Hook(url, list(dict.fromkeys(events)), list(dict.fromkeys(space_ids)), _secret())
        used = sum(h.combinations for h in self.hooks.values())
        if used + hook.combinations > MAX_COMBINATIONS:
            raise ApiProblem(
                400, f"at most {MAX_COMBINATIONS} event x workspace combinations per account"
            )
        self.hooks[url] = hook
        return hook

    def remove(self, url: str) -> bool:
        """Delete a webhook; False if there was none with this id."""
        return self.hooks.pop(url, None) is not None

    # -- fault switches ------------------------------------------------------------

    def duplicate_next(self, times: int = 1) -> None:
        """Send each of the next ``times`` deliveries twice (same bytes, same signature)."""
        self._duplicates += times

    def bad_signature_next(self, times: int = 1) -> None:
        """Sign the next ``times`` deliveries with a wrong secret."""
        self._bad_signatures += times

    def hold_next(self) -> asyncio.Event:
        """Hold the next delivery until the returned event is set (later ones go first)."""
        gate = asyncio.Event()
        self._holds.append(gate)
        return gate

    # -- deliveries ------------------------------------------------------------------

    def emit(self, event: str, space_ids: Sequence[str], payload: Mapping[str, Any]) -> int:
        """Send ``payload`` to every webhook subscribed to ``event`` in one of ``space_ids``.

        Must run inside the event loop (when any webhook wants it); returns how many
        webhooks it goes to.
        """
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        targets = [h for h in self.hooks.values() if h.wants(event, space_ids)]
        if not targets:
            return 0
        loop = asyncio.get_running_loop()
        for hook in targets:
            secret = hook.secret
            if self._bad_signatures:
                self._bad_signatures -= 1
                secret = "not-" + secret
            copies = 1
            if self._duplicates:
                self._duplicates -= 1
                copies = 2
            gate = self._holds.popleft() if self._holds else None
            for copy in range(copies):
                delivery = Delivery(
                    event, hook.url, body, sign(secret, body), duplicate=copy > 0, held=bool(gate)
                )
                task = loop.create_task(self._send(delivery, gate))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return len(targets)

    async def _send(self, delivery: Delivery, gate: asyncio.Event | None) -> None:
        if gate is not None:
            await gate.wait()
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=_TIMEOUT)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: delivery.signature}
        try:
            async with self._http.post(
                delivery.url, data=delivery.body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                delivery.status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        self.deliveries.append(delivery)

    async def idle(self) -> None:
        """Wait until every delivery started so far is done (a held one: once released)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel deliveries still pending and close the HTTP client."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        http, self._http = self._http, None
        if http is not None:
            await http.close()


def _secret() -> str:
    return secrets.token_hex(32)
