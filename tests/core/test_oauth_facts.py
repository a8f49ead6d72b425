"""OAuth2 as Taskade's own integrations see it: kept refresh tokens, confidential clients."""

from __future__ import annotations

from urllib.parse import parse_qs

import aiohttp
import pytest
from yarl import URL

import taskade_async as tk
from taskade_async.api import workspaces
from taskade_async.testing import FakeTaskade

REDIRECT = "http://127.0.0.1:9/callback"


async def test_a_refresh_answer_without_refresh_token_keeps_the_stored_one(
    taskade_fake: FakeTaskade,
) -> None:
    """No refresh_token in the answer: the stored one is kept, saved, and works again."""
    taskade_fake.rotate_refresh_tokens = False
    taskade_fake.add_workspace("W")
    client = taskade_fake.register_client([REDIRECT])
    issued = taskade_fake.issue_tokens(client)
    saved: list[tk.TokenSet] = []

    async def on_tokens(tokens: tk.TokenSet) -> None:
        saved.append(tokens)

    auth = tk.OAuth2(
        issued["access_token"],
        refresh_token=issued["refresh_token"],
        client_id=client.client_id,
        token_url=taskade_fake.token_url,
        on_tokens=on_tokens,
    )
    async with tk.Session(auth=auth, base_url=taskade_fake.base_url) as s:
        for _ in range(2):
            taskade_fake.expire_tokens()
            assert [w.name async for w in workspaces.list(s)] == ["W"]
    assert [t.refresh_token for t in saved] == [issued["refresh_token"]] * 2
    assert len({t.access_token for t in saved}) == 2
    assert taskade_fake.oauth_counters.refresh_grants == 2
    assert taskade_fake.oauth_counters.rejected == 0


async def _code(fake: FakeTaskade, request: tk.AuthorizationRequest) -> str:
    async with aiohttp.ClientSession() as http:
        url = fake.authorize_url.with_query(request.url.query)
        async with http.get(url, allow_redirects=False) as response:
            assert response.status == 302
            back = URL(response.headers["Location"])
    assert "error" not in back.query, back.query
    return back.query["code"]


async def test_a_confidential_client_sends_its_secret_in_the_body_without_pkce(
    taskade_fake: FakeTaskade,
) -> None:
    """A confidential client may skip PKCE; its secret goes in the form body, not Basic auth."""
    taskade_fake.add_workspace("W")
    client = taskade_fake.register_client([REDIRECT], confidential=True)
    assert client.client_secret is not None
    request = tk.authorization_request(client.client_id, REDIRECT, pkce=False)
    assert "code_challenge" not in request.url.query
    code = await _code(taskade_fake, request)
    tokens = await tk.exchange_code(
        code,
        redirect_uri=REDIRECT,
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_url=taskade_fake.token_url,
    )
    posted = [r for r in taskade_fake.requests if r.path == "/oauth2/token"][-1]
    form = parse_qs(posted.body.decode())
    assert form["client_secret"] == [client.client_secret]
    assert "code_verifier" not in form
    assert "Authorization" not in posted.headers
    async with tk.Session(tokens.access_token, base_url=taskade_fake.base_url) as s:
        assert [w.name async for w in workspaces.list(s)] == ["W"]


async def test_a_public_client_still_needs_pkce(taskade_fake: FakeTaskade) -> None:
    """Without a secret, no verifier is refused before sending, and the fake wants PKCE."""
    client = taskade_fake.register_client([REDIRECT])
    with pytest.raises(tk.ValidationError, match="code_verifier"):
        await tk.exchange_code(
            "c",
            redirect_uri=REDIRECT,
            client_id=client.client_id,
            token_url=taskade_fake.token_url,
        )
    request = tk.authorization_request(client.client_id, REDIRECT, pkce=False)
    async with aiohttp.ClientSession() as http:
        url = taskade_fake.authorize_url.with_query(request.url.query)
        async with http.get(url, allow_redirects=False) as response:
            assert URL(response.headers["Location"]).query["error"] == "invalid_request"
    assert [r for r in taskade_fake.requests if r.path == "/oauth2/token"] == []
