"""The OAuth2 authorization server of the fake: PKCE codes, rotating refresh tokens.

``GET /oauth2/authorize`` approves at once (redirects with ``code`` and
``state``); ``POST /oauth2/token`` (form-encoded) serves the
``authorization_code`` grant (PKCE S256 checked) and the ``refresh_token``
grant (the old refresh token dies at once). Other grants get
``unsupported_grant_type``. Errors follow RFC 6749 section 5.2.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import unquote

import attrs
from aiohttp import web
from yarl import URL

__all__ = ["OAuthClient", "OAuthCounters", "OAuthServer"]

_CODE_LIFETIME: Final = 600.0
#: RFC 7636 section 4.1: 43 to 128 unreserved characters.
_VERIFIER: Final = re.compile(r"[A-Za-z0-9._~-]{43,128}")


@attrs.frozen
class OAuthClient:
    """A registered app: its id, redirect URIs and, if confidential, its secret."""

    client_id: str
    redirect_uris: tuple[str, ...]
    client_secret: str | None = attrs.field(default=None, repr=False)

    @property
    def confidential(self) -> bool:
        """True if the client must authenticate with its secret."""
        return self.client_secret is not None


@attrs.define
class OAuthCounters:
    """How many of each OAuth2 event the fake has served (for tests to assert on)."""

    authorizations: int = 0
    code_grants: int = 0
    refresh_grants: int = 0
    rejected: int = 0


@attrs.frozen
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str | None  # None: a confidential client that skipped PKCE
    expires: float


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthServer:
    """Clients, codes and tokens; ``valid`` tells the API whether a bearer token is good."""

    def __init__(
        self, access_token_ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.access_token_ttl = access_token_ttl
        self.clients: dict[str, OAuthClient] = {}
        self.counters = OAuthCounters()
        self._clock = clock
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, float] = {}  # token -> expiry on the clock
        self._refresh: dict[str, str] = {}  # refresh token -> client id
        #: False: a refresh answer has no refresh_token and the old one stays valid
        #: (as Taskade's own integrations see it: keep the stored one).
        self.rotate_refresh_tokens = True

    # -- state -----------------------------------------------------------------

    def register(
        self,
        redirect_uris: Sequence[str],
        *,
        client_id: str | None = None,
        confidential: bool = False,
    ) -> OAuthClient:
        """Register a client; a confidential one gets a secret."""
        if not redirect_uris:
            raise ValueError("a client needs at least one redirect URI")
        client = OAuthClient(
            client_id or f"client_{secrets.token_hex(8)}",
            tuple(redirect_uris),
            secrets.token_urlsafe(24) if confidential else None,
        )
        self.clients[client.client_id] = client
        return client

    def valid(self, token: str) -> bool:
        """True if ``token`` is an OAuth access token that has not expired."""
        expiry = self._access.get(token)
        return expiry is not None and self._clock() < expiry

    def expire_all(self) -> None:
        """Make every access token issued so far expire now."""
        now = self._clock()
        for token in self._access:
            self._access[token] = now

    def issue(self, client_id: str) -> dict[str, Any]:
        """A new access + refresh token pair for ``client_id`` (the token response)."""
        access = f"tskda_{secrets.token_urlsafe(24)}"
        refresh = f"tskdr_{secrets.token_urlsafe(24)}"
        self._access[access] = self._clock() + self.access_token_ttl
        self._refresh[refresh] = client_id
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.access_token_ttl),
            "refresh_token": refresh,
        }

    # -- HTTP --------------------------------------------------------------------

    def metadata(self, root: URL) -> dict[str, Any]:
        """RFC 8414 server metadata."""
        return {
            "issuer": str(root),
            "authorization_endpoint": str(root / "oauth2" / "authorize"),
            "token_endpoint": str(root / "oauth2" / "token"),
            "registration_endpoint": str(root / "oauth2" / "register"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "none",
                "client_secret_post",
                "client_secret_basic",
            ],
        }

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        """``GET /oauth2/authorize``: check the request and redirect back with a code."""
        query = request.query
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None:
            self.counters.rejected += 1
            return _error(_OAuthError("invalid_client", "unknown client_id"))
        if redirect_uri not in client.redirect_uris:
            # Never redirect to an address the client did not register.
            self.counters.rejected += 1
            return _error(_OAuthError("invalid_request", "redirect_uri is not registered"))
        back = URL(redirect_uri)
        state = query.get("state")
        extra = {"state": state} if state is not None else {}
        problem = None
        if query.get("response_type") != "code":
            problem = ("unsupported_response_type", "response_type must be 'code'")
        elif "code_challenge" not in query and client.confidential:
            pass  # a confidential client (with a secret) may skip PKCE
        elif query.get("code_challenge_method") != "S256":
            problem = ("invalid_request", "code_challenge_method must be 'S256'")
        elif not 43 <= len(query.get("code_challenge", "")) <= 128:
            problem = ("invalid_request", "a code_challenge is required")
        if problem is not None:
            self.counters.rejected += 1
            target = back.update_query(error=problem[0], error_description=problem[1], **extra)
            raise web.HTTPFound(target)
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(
            client.client_id,
            redirect_uri,
            query.get("code_challenge"),
            self._clock() + _CODE_LIFETIME,
        )
        self.counters.authorizations += 1
        raise web.HTTPFound(back.update_query(code=code, **extra))

    async def token(self, request: web.Request) -> web.StreamResponse:
        """``POST /oauth2/token``: the authorization_code and refresh_token grants."""
        try:
            if request.content_type != "application/x-www-form-urlencoded":
                raise _OAuthError("invalid_request", "the body must be form-encoded")
            form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
            grant = form.get("grant_type")
            if grant == "authorization_code":
                body = self._code_grant(request, form)
                self.counters.code_grants += 1
            elif grant == "refresh_token":
                body = self._refresh_grant(request, form)
                self.counters.refresh_grants += 1
            elif not grant:
                raise _OAuthError("invalid_request", "grant_type is required")
            else:
                raise _OAuthError(
                    "unsupported_grant_type", f"grant_type {grant!r} is not supported"
                )
        except _OAuthError as exc:
            self.counters.rejected += 1
            return _error(exc)
        return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def register_endpoint(self, request: web.Request) -> web.StreamResponse:
        """``POST /oauth2/register``: RFC 7591 dynamic client registration (JSON)."""
        try:
            data = await request.json()
        except ValueError:
            return _error(_OAuthError("invalid_client_metadata", "the body must be JSON"))
        uris = data.get("redirect_uris") if isinstance(data, dict) else None
        if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
            return _error(_OAuthError("invalid_redirect_uri", "redirect_uris must list URIs"))
        method = data.get("token_endpoint_auth_method", "none")
        client = self.register(uris, confidential=method != "none")
        body: dict[str, Any] = {
            "client_id": client.client_id,
            "redirect_uris": list(client.redirect_uris),
            "token_endpoint_auth_method": method,
        }
        if client.client_secret is not None:
            body["client_secret"] = client.client_secret
        return web.json_response(body, status=201)

    def _client(self, request: web.Request, form: dict[str, str]) -> OAuthClient:
        client_id = form.get("client_id")
        secret = form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise _OAuthError("invalid_client", "bad Basic credentials", 401) from exc
            basic_id, _, basic_secret = decoded.partition(":")
            client_id, secret = unquote(basic_id), unquote(basic_secret)
        client = self.clients.get(client_id or "")
        if client is None:
            raise _OAuthError("invalid_client", "unknown client_id", 401)
        if client.client_secret is not None and (
            secret is None or not secrets.compare_digest(secret, client.client_secret)
        ):
            raise _OAuthError("invalid_client", "client authentication failed", 401)
        return client

    def _code_grant(self, request: web.Request, form: dict[str, str]) -> dict[str, Any]:
        client = self._client(request, form)
        code = self._codes.pop(form.get("code", ""), None)  # a code works once
        if code is None or code.expires <= self._clock():
            raise _OAuthError("invalid_grant", "the code is unknown, used or expired")
        if code.client_id != client.client_id:
            raise _OAuthError("invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != code.redirect_uri:
            raise _OAuthError("invalid_grant", "redirect_uri differs from the authorization's")
        verifier = form.get("code_verifier", "")
        if code.challenge is None:
            return self.issue(client.client_id)  # confidential: its secret was checked
        if not _VERIFIER.fullmatch(verifier) or not secrets.compare_digest(
            _s256(verifier), code.challenge
        ):
            raise _OAuthError("invalid_grant", "the PKCE code_verifier does not match")
        return self.issue(client.client_id)

    def _refresh_grant(self, request: web.Request, form: dict[str, str]) -> dict[str, Any]:
        client = self._client(request, form)
        token = form.get("refresh_token", "")
        owner = self._refresh.get(token)
        if owner is None:
            raise _OAuthError("invalid_grant", "the refresh token is unknown or was rotated")
        if owner != client.client_id:
            raise _OAuthError("invalid_grant", "the refresh token belongs to another client")
        if not self.rotate_refresh_tokens:
            answer = self.issue(client.client_id)
            del self._refresh[answer.pop("refresh_token")]  # the old one stays valid
            return answer
        del self._refresh[token]  # rotation: the old refresh token stops working now
        return self.issue(client.client_id)


def _error(exc: _OAuthError) -> web.Response:
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
    return web.json_response(
        {"error": exc.error, "error_description": exc.description},
        status=exc.status,
        headers=headers,
    )
