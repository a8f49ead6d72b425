"""OAuth2 on the fake: PKCE authorization code, refresh rotation, expiry, errors."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import aiohttp
from yarl import URL

from taskade_async.testing import FakeTaskade, OAuthClient

from .conftest import Api

REDIRECT = "http://127.0.0.1:9/callback"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def _authorize(
    http: aiohttp.ClientSession,
    fake: FakeTaskade,
    client: OAuthClient,
    challenge: str,
    **extra: str,
) -> URL:
    query = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    async with http.get(fake.authorize_url, params=query, allow_redirects=False) as response:
        assert response.status == 302
        return URL(response.headers["Location"])


async def _token(
    http: aiohttp.ClientSession, fake: FakeTaskade, form: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with http.post(fake.token_url, data=form) as response:
        return response.status, await response.json()


async def test_authorization_code_with_pkce(
    http: aiohttp.ClientSession, taskade_fake: FakeTaskade, api: Api
) -> None:
    """The code flow yields tokens that work on the API; the code works only once."""
    client = taskade_fake.register_client([REDIRECT])
    verifier, challenge = _pkce()
    location = await _authorize(http, taskade_fake, client, challenge)
    assert str(location.with_query(None)) == REDIRECT
    assert location.query["state"] == "xyz"
    form = {
        "grant_type": "authorization_code",
        "code": location.query["code"],
        "redirect_uri": REDIRECT,
        "client_id": client.client_id,
        "code_verifier": verifier,
    }
    status, tokens = await _token(http, taskade_fake, form)
    assert status == 200
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    await api.ok(
        "GET", "/workspaces", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    status, error = await _token(http, taskade_fake, form)
    assert (status, error["error"]) == (400, "invalid_grant")
    counters = taskade_fake.oauth_counters
    assert (counters.authorizations, counters.code_grants, counters.rejected) == (1, 1, 1)


async def test_code_grant_checks_verifier_redirect_and_secret(
    http: aiohttp.ClientSession, taskade_fake: FakeTaskade
) -> None:
    """A wrong PKCE verifier, redirect_uri or client secret is refused."""
    client = taskade_fake.register_client([REDIRECT], confidential=True)
    assert client.client_secret is not None
    verifier, challenge = _pkce()
    for wrong, status, error in [
        ({"code_verifier": "x" * 43}, 400, "invalid_grant"),
        ({"code_verifier": verifier + "!"}, 400, "invalid_grant"),
        ({"redirect_uri": "http://127.0.0.1:9/other"}, 400, "invalid_grant"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
    ]:
        location = await _authorize(http, taskade_fake, client, challenge)
        form = {
            "grant_type": "authorization_code",
            "code": location.query["code"],
            "redirect_uri": REDIRECT,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code_verifier": verifier,
            **wrong,
        }
        got_status, body = await _token(http, taskade_fake, form)
        assert (got_status, body["error"]) == (status, error)
        assert set(body) == {"error", "error_description"}
    location = await _authorize(http, taskade_fake, client, challenge)
    basic = base64.b64encode(f"{client.client_id}:{client.client_secret}".encode()).decode()
    form = {
        "grant_type": "authorization_code",
        "code": location.query["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    headers = {"Authorization": f"Basic {basic}"}
    async with http.post(taskade_fake.token_url, data=form, headers=headers) as response:
        assert response.status == 200


async def test_authorize_refusals(http: aiohttp.ClientSession, taskade_fake: FakeTaskade) -> None:
    """Unknown clients or redirects get a 400; a missing S256 challenge redirects an error."""
    client = taskade_fake.register_client([REDIRECT])
    _, challenge = _pkce()
    base = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": REDIRECT,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    for change in ({"client_id": "nobody"}, {"redirect_uri": "http://evil.example/cb"}):
        async with http.get(
            taskade_fake.authorize_url, params={**base, **change}, allow_redirects=False
        ) as response:
            assert response.status == 400
    location = await _authorize(
        http, taskade_fake, client, challenge, code_challenge_method="plain"
    )
    assert location.query["error"] == "invalid_request"
    assert "code" not in location.query


async def test_refresh_rotates_and_expiry(
    http: aiohttp.ClientSession, taskade_fake: FakeTaskade, api: Api
) -> None:
    """Refreshing rotates the refresh token at once; expired access tokens get 401."""
    client = taskade_fake.register_client([REDIRECT])
    tokens = taskade_fake.issue_tokens(client)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    await api.ok("GET", "/workspaces", headers=bearer)
    taskade_fake.expire_tokens()
    await api.error("GET", "/workspaces", 401, headers=bearer)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    status, fresh = await _token(http, taskade_fake, {**form, "client_id": client.client_id})
    assert status == 200
    assert fresh["refresh_token"] != tokens["refresh_token"]
    await api.ok("GET", "/workspaces", headers={"Authorization": f"Bearer {fresh['access_token']}"})
    status, error = await _token(http, taskade_fake, {**form, "client_id": client.client_id})
    assert (status, error["error"]) == (400, "invalid_grant")
    assert taskade_fake.oauth_counters.refresh_grants == 1


async def test_access_token_ttl(
    http: aiohttp.ClientSession, taskade_fake: FakeTaskade, api: Api
) -> None:
    """Access tokens issued with a zero lifetime are already expired."""
    taskade_fake.access_token_ttl = 0
    tokens = taskade_fake.issue_tokens(taskade_fake.register_client([REDIRECT]))
    assert tokens["expires_in"] == 0
    await api.error(
        "GET", "/workspaces", 401, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )


async def test_other_grants_are_unsupported(
    http: aiohttp.ClientSession, taskade_fake: FakeTaskade
) -> None:
    """Other grants get unsupported_grant_type; a JSON body is refused."""
    client = taskade_fake.register_client([REDIRECT])
    for grant in ("password", "client_credentials", "implicit"):
        status, body = await _token(
            http, taskade_fake, {"grant_type": grant, "client_id": client.client_id}
        )
        assert (status, body["error"]) == (400, "unsupported_grant_type")
    async with http.post(taskade_fake.token_url, json={"grant_type": "refresh_token"}) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "invalid_request"


async def test_metadata_and_dynamic_registration(
    http: aiohttp.ClientSession, taskade_fake: FakeTaskade
) -> None:
    """The server publishes its metadata and registers clients dynamically."""
    async with http.get(taskade_fake.url / ".well-known" / "oauth-authorization-server") as r:
        meta = await r.json()
    assert meta["token_endpoint"] == str(taskade_fake.token_url)
    assert meta["code_challenge_methods_supported"] == ["S256"]
    async with http.post(
        taskade_fake.url / "oauth2" / "register",
        json={"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_post"},
    ) as r:
        assert r.status == 201
        registered = await r.json()
    assert registered["client_secret"]
    assert taskade_fake.oauth_clients[registered["client_id"]].confidential
