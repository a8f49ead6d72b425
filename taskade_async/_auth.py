"""Credentials: a static bearer token, or OAuth2 with single-flight refresh.

No HTTP here: the session hands an ``Auth`` a function that posts a form to the
token endpoint, so the refresh request never goes through the auth layer
(it cannot recurse) and only one module talks to aiohttp.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol
from urllib.parse import urlencode

import attrs
from yarl import URL

from ._errors import AuthenticationError

__all__ = [
    "DEFAULT_AUTHORIZE_URL",
    "DEFAULT_TOKEN_URL",
    "Auth",
    "AuthorizationRequest",
    "BearerToken",
    "OAuth2",
    "TokenSet",
    "authorization_request",
    "parse_token_response",
]

DEFAULT_AUTHORIZE_URL: Final = URL("https://www.taskade.com/oauth2/authorize")
DEFAULT_TOKEN_URL: Final = URL("https://www.taskade.com/oauth2/token")

#: ``(token_url, form) -> (status, body)``; supplied by the session.
FormPoster = Callable[[URL, dict[str, str]], Awaitable[tuple[int, bytes]]]
_log = logging.getLogger("taskade_async")


class Auth(Protocol):
    """What the session asks of credentials."""

    def header_now(self) -> str | None:
        """The ``Authorization`` header if one is ready without I/O, else None.

        The session's fast path: it awaits :meth:`authorization` only on None
        (the default: a subclass that does not define it is always awaited).
        """
        return None

    async def authorization(self, post_form: FormPoster) -> str:
        """The ``Authorization`` header value to send now (refreshing first if due)."""
        ...

    async def unauthorized(self, post_form: FormPoster, sent: str) -> bool:
        """A request sent with ``sent`` got 401: renew, and say whether to retry."""
        ...


def _mask(token: str) -> str:
    """Show only the well-known prefix of a personal access token, never secret bytes."""
    return "tskdp_…" if token.startswith("tskdp_") else "…"


@attrs.define(slots=True, repr=False)
class BearerToken:
    """A personal access token (``tskdp_...``), sent as ``Bearer``."""

    token: str = attrs.field()

    @token.validator
    def _check(self, _: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise AuthenticationError("the token must be a non-empty str")
        if value != value.strip() or any(c in value for c in "\r\n"):
            raise AuthenticationError("the token has surrounding spaces or a line break")

    def __repr__(self) -> str:
        return f"BearerToken({_mask(self.token)})"

    def header(self) -> str:
        """``Bearer <token>``."""
        return f"Bearer {self.token}"

    def header_now(self) -> str:
        """``Bearer <token>``: always ready."""
        return f"Bearer {self.token}"

    async def authorization(self, post_form: FormPoster) -> str:
        """``Bearer <token>``."""
        return self.header()

    async def unauthorized(self, post_form: FormPoster, sent: str) -> bool:
        """A static token cannot be renewed: never retry."""
        return False


@attrs.frozen(slots=True, repr=False)
class TokenSet:
    """Tokens from the token endpoint; ``expires_at`` is a Unix time."""

    access_token: str
    refresh_token: str | None
    expires_at: float | None
    token_type: str = "Bearer"
    scope: str | None = None

    def __repr__(self) -> str:
        return f"TokenSet(access={_mask(self.access_token)}, expires_at={self.expires_at})"


def _seconds(value: Any) -> float | None:
    """``expires_in`` as a number of seconds (some servers send it as a string)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds == seconds and seconds >= 0 else None  # not NaN or negative


def parse_token_response(status: int, body: bytes, *, now: float | None = None) -> TokenSet:
    """Decode the token endpoint's answer, or raise AuthenticationError."""
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or hostile nesting
        data = None
    if status != 200 or not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        reason = ""
        if isinstance(data, dict):
            reason = str(data.get("error_description") or data.get("error") or "")
        suffix = f": {reason}" if reason else ""
        raise AuthenticationError(f"token endpoint answered {status}{suffix}")
    expires_at = None
    seconds = _seconds(data.get("expires_in"))
    if seconds is not None:
        expires_at = (time.time() if now is None else now) + seconds
    refresh = data.get("refresh_token")
    scope = data.get("scope")
    return TokenSet(
        access_token=data["access_token"],
        refresh_token=refresh if isinstance(refresh, str) else None,
        expires_at=expires_at,
        token_type=str(data.get("token_type") or "Bearer"),
        scope=scope if isinstance(scope, str) else None,
    )


@attrs.define(slots=True, repr=False, eq=False)
class OAuth2:
    """OAuth2 access with refresh.

    Refreshes ``refresh_margin`` seconds before expiry and on a 401. Any number
    of concurrent requests share one refresh; ``on_tokens`` is awaited with the
    new tokens before they are used (store them: the refresh token rotates). A
    failed refresh raises AuthenticationError to every waiter, once, no loop.

    If ``on_tokens`` raises, the new tokens are used all the same (the old
    refresh token is dead), an ERROR is logged, and ``on_tokens`` is called
    again with the newest tokens before each later request until it succeeds.
    """

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token_url: URL = attrs.field(default=DEFAULT_TOKEN_URL, converter=URL)
    on_tokens: Callable[[TokenSet], Awaitable[None]] | None = None
    refresh_margin: float = 60.0
    #: How many refreshes this object made (for monitoring and tests).
    refresh_count: int = attrs.field(default=0, init=False)
    #: The refresh under way, shared by every request that needs it.
    _inflight: asyncio.Future[None] | None = attrs.field(default=None, init=False)
    _failed_for: str | None = attrs.field(default=None, init=False)
    _failure: AuthenticationError | None = attrs.field(default=None, init=False)
    #: Tokens in use that ``on_tokens`` failed to store (retried until it succeeds).
    _unsaved: TokenSet | None = attrs.field(default=None, init=False)
    #: One ``on_tokens`` call at a time, so an older save never lands after a newer one.
    _saving: asyncio.Lock = attrs.field(factory=asyncio.Lock, init=False)

    def __repr__(self) -> str:
        return f"OAuth2(client_id={self.client_id!r}, expires_at={self.expires_at})"

    def _due(self) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at - self.refresh_margin

    def header_now(self) -> str | None:
        """``Bearer <access token>`` unless a save, a refresh or an expiry needs awaiting."""
        inflight = self._inflight
        if self._unsaved is not None or (inflight is not None and not inflight.done()):
            return None
        if self._due() and self.refresh_token is not None:
            return None
        return f"Bearer {self.access_token}"

    async def authorization(self, post_form: FormPoster) -> str:
        """``Bearer <access token>``, refreshed first when about to expire."""
        if self._unsaved is not None and not self._saving.locked():
            await self._save_again()
        inflight = self._inflight
        if inflight is not None and not inflight.done():
            # A refresh is under way: wait for its tokens rather than send the old ones.
            await _join(inflight)
        if self._due() and self.refresh_token is not None:
            await self._refresh(post_form, stale=self.access_token)
        return f"Bearer {self.access_token}"

    async def unauthorized(self, post_form: FormPoster, sent: str) -> bool:
        """Refresh once for every request that failed with the same token."""
        if self.refresh_token is None:
            return False
        await self._refresh(post_form, stale=sent.removeprefix("Bearer "))
        return True

    async def _refresh(self, post_form: FormPoster, *, stale: str) -> None:
        """Renew ``stale``, or join the renewal already under way (single flight).

        The renewal runs in its own task, shielded from the callers: a caller
        cancelled by its deadline cannot abort it half-way and lose the rotated
        refresh token.
        """
        task = self._inflight
        if task is None or task.done():
            if self.access_token != stale:
                return  # already renewed since that request was sent
            if self._failed_for == stale and self._failure is not None:
                # The refresh for this token already failed: do not try again (no loop).
                raise AuthenticationError(str(self._failure))
            if self.refresh_token is None:
                raise AuthenticationError("the access token expired and there is no refresh token")
            task = asyncio.ensure_future(self._renew(post_form, stale, self.refresh_token))
            task.add_done_callback(self._settled)
            self._inflight = task
        await _join(task)

    def _settled(self, task: asyncio.Future[None]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here; every waiter raises its own copy

    async def _renew(self, post_form: FormPoster, stale: str, refresh_token: str) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if self.client_id is not None:
            form["client_id"] = self.client_id
        if self.client_secret is not None:
            form["client_secret"] = self.client_secret
        self.refresh_count += 1
        _log.debug(
            "OAuth2: refreshing the access token at %s (refresh %d)",
            self.token_url.host,
            self.refresh_count,
        )
        try:
            status, body = await post_form(self.token_url, form)
            tokens = parse_token_response(status, body)
        except AuthenticationError as exc:
            failure = AuthenticationError(f"refreshing the OAuth2 token failed: {exc}")
            self._failed_for, self._failure = stale, failure
            _log.debug("OAuth2: %s", failure)
            raise failure from None
        if tokens.refresh_token is None:
            tokens = attrs.evolve(tokens, refresh_token=refresh_token)
        _log.debug(
            "OAuth2: access token refreshed (expires in %s s; refresh token %s)",
            "?" if tokens.expires_at is None else f"{tokens.expires_at - time.time():.0f}",
            "kept" if tokens.refresh_token == refresh_token else "rotated",
        )
        # The callback sees the tokens before any request uses them. The old
        # refresh token is dead now, so the new ones are kept even if it fails.
        try:
            async with self._saving:
                await self._save(tokens)
        finally:
            self.access_token = tokens.access_token
            self.refresh_token = tokens.refresh_token
            self.expires_at = tokens.expires_at

    async def _save(self, tokens: TokenSet) -> None:
        """Hand ``tokens`` to ``on_tokens`` (under ``_saving``); on failure keep them to retry."""
        if self.on_tokens is None:
            return
        try:
            await self.on_tokens(tokens)
        except Exception as exc:
            self._unsaved = tokens
            # The callback's own message may quote what it tried to store: scrub the tokens.
            said = str(exc)
            for secret in (tokens.access_token, tokens.refresh_token):
                if secret:
                    said = said.replace(secret, "…")
            _log.error(
                "OAuth2: on_tokens failed to store the refreshed tokens (%s: %s); they are "
                "in use, and on_tokens is called again before the next request",
                type(exc).__name__,
                said,
            )
        else:
            self._unsaved = None  # these are the newest tokens: nothing older is pending

    async def _save_again(self) -> None:
        """Retry the failed ``on_tokens`` call, with the newest unsaved tokens."""
        async with self._saving:
            tokens = self._unsaved
            if tokens is not None:
                await self._save(tokens)


async def _join(task: asyncio.Future[None]) -> None:
    """Wait for a shared refresh without letting this caller's cancellation abort it."""
    try:
        await asyncio.shield(task)
    except AuthenticationError as exc:
        raise AuthenticationError(str(exc)) from None


@attrs.frozen(slots=True, repr=False)
class AuthorizationRequest:
    """Where to send the user, and what to keep until the redirect comes back."""

    url: URL
    state: str
    code_verifier: str
    redirect_uri: str

    def __repr__(self) -> str:
        return f"AuthorizationRequest(url={self.url!s})"


def authorization_request(
    client_id: str,
    redirect_uri: str,
    *,
    scope: str | None = None,
    state: str | None = None,
    authorize_url: URL | str = DEFAULT_AUTHORIZE_URL,
    pkce: bool = True,
) -> AuthorizationRequest:
    """Build the authorize URL for the authorization-code flow with PKCE (S256).

    ``pkce=False`` leaves PKCE out, which only a confidential client (one
    with a client secret) may do; ``code_verifier`` is then empty.
    """
    # Rare path: imported here to keep `import taskade_async` fast.
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(64)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
        .rstrip(b"=")
        .decode("ascii")
    )
    state = state or secrets.token_urlsafe(24)
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if not pkce:
        verifier = ""
        del query["code_challenge"], query["code_challenge_method"]
    if scope:
        query["scope"] = scope
    url = URL(str(authorize_url)).with_query(None)
    url = URL(f"{url}?{urlencode(query)}", encoded=True)
    return AuthorizationRequest(
        url=url, state=state, code_verifier=verifier, redirect_uri=redirect_uri
    )
