"""The pytest fixtures and the library's own Session against the fake."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from yarl import URL

import taskade_async as tk
from taskade_async.testing import FakeTaskade

_WORKSPACES = tk.Operation("workspacesGet", "GET", "/workspaces")
_TASKS = tk.Operation("projectTasksGet", "GET", "/projects/{projectId}/tasks")
_COMPLETE = tk.Operation("projectComplete", "POST", "/projects/{projectId}/complete")
_DOWNLOAD = tk.Operation("mediaDownload", "GET", "/medias/{mediaId}/download")
_UPLOAD = tk.Operation("mediaUpload", "POST", "/medias/spaces/{spaceId}/upload")


async def test_fixture_gives_a_started_fake(taskade_fake: FakeTaskade) -> None:
    """taskade_fake is started on loopback with a personal token."""
    assert taskade_fake.url.host == "127.0.0.1"
    assert str(taskade_fake.base_url).endswith("/api/v1")
    assert taskade_fake.token.startswith("tskdp_")
    assert taskade_fake.token_url.path == "/oauth2/token"
    assert taskade_fake.authorize_url.path == "/oauth2/authorize"


async def test_session_fixture_talks_to_the_fake(
    taskade_session: tk.Session, taskade_fake: FakeTaskade
) -> None:
    """taskade_session sends real requests to the fake, including bodiless POSTs and downloads."""
    ws = taskade_fake.add_workspace("Acme")
    project = taskade_fake.add_project(ws, "Plan", tasks=["A", "B"])
    media = taskade_fake.add_media(ws, "a.txt", b"hello")
    body = await taskade_session.request(_WORKSPACES)
    assert body["items"] == [{"id": ws.id, "name": "Acme"}]
    tasks = await taskade_session.request(_TASKS, (project.id,), query={"limit": 1})
    assert [t["text"] for t in tasks["items"]] == ["A"]
    await taskade_session.request(_COMPLETE, (project.id,))
    assert taskade_fake.project(project.id).completed
    async with await taskade_session.request(_DOWNLOAD, (media.id,), stream=True) as download:
        assert await download.read() == b"hello"
        assert download.filename == "a.txt"


async def test_session_recovers_from_injected_faults(
    taskade_session: tk.Session, taskade_fake: FakeTaskade
) -> None:
    """The library retries a 503 with Retry-After and a reset GET, and gets the answer."""
    taskade_fake.add_workspace("Acme")
    taskade_fake.fail_next(503, retry_after=0.01)
    taskade_fake.reset_next()
    body = await taskade_session.request(_WORKSPACES)
    assert len(body["items"]) == 1
    assert len(taskade_fake.requests) == 3


async def test_oauth2_session_refreshes_once_after_expiry(taskade_fake: FakeTaskade) -> None:
    """A library OAuth2 session does the PKCE flow, then refreshes once for many callers."""
    redirect = "http://127.0.0.1:9/cb"
    client = taskade_fake.register_client([redirect])
    request = tk.authorization_request(
        client.client_id, redirect, authorize_url=taskade_fake.authorize_url
    )
    async with (
        aiohttp.ClientSession() as http,
        http.get(request.url, allow_redirects=False) as response,
    ):
        location = URL(response.headers["Location"])
    assert location.query["state"] == request.state
    tokens = await tk.exchange_code(
        location.query["code"],
        code_verifier=request.code_verifier,
        redirect_uri=redirect,
        client_id=client.client_id,
        token_url=taskade_fake.token_url,
    )
    saved: list[tk.TokenSet] = []

    async def save(new: tk.TokenSet) -> None:
        saved.append(new)

    auth = tk.OAuth2(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        client_id=client.client_id,
        token_url=taskade_fake.token_url,
        on_tokens=save,
    )
    async with tk.Session(auth=auth, base_url=taskade_fake.base_url) as session:
        await session.request(_WORKSPACES)
        taskade_fake.expire_tokens()
        await asyncio.gather(*(session.request(_WORKSPACES) for _ in range(10)))
    assert taskade_fake.oauth_counters.refresh_grants == 1
    assert len(saved) == 1


async def test_streamed_upload_from_the_library(
    taskade_session: tk.Session, taskade_fake: FakeTaskade
) -> None:
    """A raw body streamed by the library (chunked, from an async iterable) is stored whole."""
    ws = taskade_fake.add_workspace("Acme")

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(64):
            yield bytes([i]) * 4096

    body = await taskade_session.request(
        _UPLOAD,
        (ws.id,),
        query={"filename": "big.bin"},
        data=chunks(),
        content_type="application/octet-stream",
    )
    media = taskade_fake.state.media(body["item"]["mediaId"])
    assert media.content == b"".join(bytes([i]) * 4096 for i in range(64))
    assert media.kind == "file"


async def test_redirected_download_keeps_the_token_home(
    taskade_session: tk.Session, taskade_fake: FakeTaskade
) -> None:
    """With redirect_downloads the file comes from another host, which never sees the token."""
    ws = taskade_fake.add_workspace("Acme")
    media = taskade_fake.add_media(ws, "report.pdf", b"%PDF-1.4 demo")
    taskade_fake.redirect_downloads = True
    async with await taskade_session.request(_DOWNLOAD, (media.id,), stream=True) as download:
        assert await download.read() == b"%PDF-1.4 demo"
        assert download.content_type == "application/pdf"
    api_call, storage_call = taskade_fake.requests
    assert api_call.status == 302
    assert api_call.headers["Authorization"] == "<redacted>"
    assert storage_call.path.startswith("/storage/")
    assert storage_call.headers["Host"].startswith("localhost:")
    assert "Authorization" not in storage_call.headers
