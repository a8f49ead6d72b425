"""Session: construction, lifecycle, what goes on the wire."""

from __future__ import annotations

import asyncio
import enum
import gc

import aiohttp
import pytest
from yarl import URL

import taskade_async as tk

from .conftest import TOKEN, SessionFactory, acquired
from .server import Server, error, reply

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")
COMPLETE = tk.Operation("projectComplete", "POST", "/projects/{projectId}/complete")
LIST = tk.Operation("taskList", "GET", "/projects/{projectId}/tasks")
SLOW = tk.Operation("slow", "GET", "/slow/{n}")


async def test_async_context_manager_opens_and_closes(make_session: SessionFactory) -> None:
    """``async with`` opens the HTTP client and closes it on exit."""
    s = make_session()
    async with s as entered:
        assert entered is s
        assert s._http is not None
        http = s._http
    assert http.closed
    with pytest.raises(RuntimeError, match="not open"):
        await s.request(GET, ("p",))


async def test_token_from_environment(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without token or auth, TASKADE_TOKEN is used as the bearer token."""
    monkeypatch.setenv("TASKADE_TOKEN", "tskdp_from_env")
    server.route("GET", "/projects/p", reply())
    async with tk.Session(base_url=server.base_url) as s:
        await s.request(GET, ("p",))
    assert server.requests()[0].headers["Authorization"] == "Bearer tskdp_from_env"


async def test_base_url_from_environment(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without base_url, TASKADE_BASE_URL (as ``serve`` prints it) is where requests go."""
    monkeypatch.setenv("TASKADE_BASE_URL", str(server.base_url))
    server.route("GET", "/projects/p", reply())
    async with tk.Session("tskdp_x") as s:
        assert s.base_url == server.base_url
        await s.request(GET, ("p",))
    assert len(server.requests("/projects/p")) == 1


def test_explicit_base_url_beats_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A base_url argument wins over TASKADE_BASE_URL; with neither, the real API is used."""
    monkeypatch.setenv("TASKADE_BASE_URL", "http://127.0.0.1:9/api/v1")
    assert tk.Session("tskdp_x", base_url="https://example.com/api").base_url == URL(
        "https://example.com/api"
    )
    monkeypatch.delenv("TASKADE_BASE_URL")
    assert tk.Session("tskdp_x").base_url == tk.DEFAULT_BASE_URL


def test_base_url_from_environment_must_be_https_off_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TASKADE_BASE_URL follows the https-unless-loopback rule: the token is never sent in clear."""
    monkeypatch.setenv("TASKADE_BASE_URL", "http://taskade.example.com/api/v1")
    with pytest.raises(tk.ValidationError, match="https"):
        tk.Session("tskdp_x")


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no token, no auth and no TASKADE_TOKEN, the error names all three."""
    monkeypatch.delenv("TASKADE_TOKEN", raising=False)
    with pytest.raises(tk.AuthenticationError, match="TASKADE_TOKEN"):
        tk.Session()


def test_token_and_auth_are_exclusive() -> None:
    """Passing both token and auth is refused."""
    with pytest.raises(tk.ValidationError, match="not both"):
        tk.Session("tskdp_a", auth=tk.BearerToken("tskdp_b"))


@pytest.mark.parametrize(
    "url",
    [
        "http://www.taskade.com/api/v1",
        "http://10.0.0.1/api/v1",
        "ftp://127.0.0.1/api",
        "/api/v1",
        "https://x.test/api?q=1",
    ],
)
def test_base_url_must_be_https_unless_loopback(url: str) -> None:
    """Plain http is refused except on loopback, and so are relative or odd URLs."""
    with pytest.raises(tk.ValidationError):
        tk.Session(TOKEN, base_url=url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/api/v1", "http://localhost/api", "http://[::1]:9/v1"]
)
def test_loopback_may_use_http(url: str) -> None:
    """Plain http is accepted for loopback hosts."""
    assert tk.Session(TOKEN, base_url=url).base_url.scheme == "http"


def test_oauth_token_url_must_be_https() -> None:
    """The refresh token is never sent to a plain-http token endpoint off loopback."""
    auth = tk.OAuth2("at", refresh_token="rt", token_url="http://auth.example/token")
    with pytest.raises(tk.ValidationError, match="token_url"):
        tk.Session(auth=auth)


async def test_caller_owned_client_session_is_not_closed(server: Server) -> None:
    """A ClientSession passed in is used and left open."""
    server.route("GET", "/projects/p", reply())
    async with aiohttp.ClientSession() as http:
        async with tk.Session(TOKEN, base_url=server.base_url, http=http) as s:
            await s.request(GET, ("p",))
        assert not http.closed
    assert len(server.requests()) == 1


async def test_close_leaves_no_unclosed_resource_warning(
    server: Server, make_session: SessionFactory
) -> None:
    """After close, collecting garbage raises no ResourceWarning (warnings are errors)."""
    server.route("GET", "/projects/p", reply())
    async with make_session() as s:
        await s.request(GET, ("p",))
    del s
    gc.collect()


async def test_user_agent_default_and_custom(server: Server, make_session: SessionFactory) -> None:
    """The default user agent names the library; a custom one replaces it."""
    server.route("GET", "/projects/p", reply())
    async with make_session() as s:
        await s.request(GET, ("p",))
    async with make_session(user_agent="my-bot/2") as s:
        await s.request(GET, ("p",))
    first, second = server.requests()
    assert first.headers["User-Agent"].startswith(f"taskade-async/{tk.__version__} ")
    assert second.headers["User-Agent"] == "my-bot/2"


async def test_connection_limit_caps_concurrency(
    server: Server, make_session: SessionFactory
) -> None:
    """With max_connections=3, at most 3 requests are in flight at the server."""
    release = asyncio.Event()
    arrived = 0

    async def slow(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        nonlocal arrived
        arrived += 1
        if arrived == 3:
            release.set()
        await release.wait()
        return aiohttp.web.json_response({"ok": True})

    for n in range(10):
        server.route("GET", f"/slow/{n}", slow)
    async with make_session(max_connections=3) as s:
        await asyncio.gather(*(s.request(SLOW, (str(n),)) for n in range(10)))
    assert server.max_in_flight == 3
    assert len(server.requests()) == 10


async def test_operation_without_body_sends_no_body(
    server: Server, make_session: SessionFactory
) -> None:
    """A POST without json or data carries no body and no Content-Type."""
    server.route("POST", "/projects/p/complete", reply())
    async with make_session() as s:
        await s.request(COMPLETE, ("p",))
    (sent,) = server.requests()
    assert sent.body == b""
    assert "Content-Type" not in sent.headers
    assert int(sent.headers.get("Content-Length", "0")) == 0
    assert "Transfer-Encoding" not in sent.headers


async def test_json_body_is_sent_compact_with_content_type(
    server: Server, make_session: SessionFactory
) -> None:
    """A json body is sent as UTF-8 JSON with its Content-Type."""
    server.route("POST", "/projects/p/complete", reply())
    async with make_session() as s:
        await s.request(COMPLETE, ("p",), json={"text": "héllo"})
    (sent,) = server.requests()
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == '{"text":"héllo"}'.encode()


@pytest.mark.parametrize(
    ("pid", "encoded"),
    [("a/b", "a%2Fb"), ("a?b", "a%3Fb"), ("a#b", "a%23b"), ("100%", "100%25"), ("..a", "..a")],
)
async def test_ids_are_one_path_segment(
    server: Server, make_session: SessionFactory, pid: str, encoded: str
) -> None:
    """An id holding / ? # or % reaches the server as one percent-encoded segment."""
    server.route("GET", f"/projects/{encoded}", reply(200, {"ok": True, "item": pid}))
    async with make_session() as s:
        result = await s.request(GET, (pid,))
    assert result["item"] == pid
    assert [r.path for r in server.requests()] == [f"/api/v1/projects/{encoded}"]


@pytest.mark.parametrize("pid", ["", ".", ".."])
async def test_dot_and_empty_ids_are_refused_before_sending(
    server: Server, make_session: SessionFactory, pid: str
) -> None:
    """'', '.' and '..' raise ValidationError and nothing is sent."""
    async with make_session() as s:
        with pytest.raises(tk.ValidationError):
            await s.request(GET, (pid,))
    assert server.requests() == []


async def test_query_counts_are_ints_and_none_is_left_out(
    server: Server, make_session: SessionFactory
) -> None:
    """limit=100.0 is sent as 100, booleans as true/false, None values not at all."""
    server.route("GET", "/projects/p/tasks", reply(200, {"ok": True, "items": []}))
    async with make_session() as s:
        await s.request(
            LIST, ("p",), query={"limit": 100.0, "page": 2, "x": None, "flag": True, "q": "a&b"}
        )
    assert server.requests()[0].query == {"limit": "100", "page": "2", "flag": "true", "q": "a&b"}


async def test_wrong_number_of_path_arguments_is_refused(make_session: SessionFactory) -> None:
    """An operation called with too few ids raises ValidationError."""
    async with make_session() as s:
        with pytest.raises(tk.ValidationError, match="takes 1 path arguments"):
            await s.request(GET, ())


async def test_json_and_data_together_are_refused(make_session: SessionFactory) -> None:
    """json and data cannot both be given."""
    async with make_session() as s:
        with pytest.raises(tk.ValidationError, match="not both"):
            await s.request(COMPLETE, ("p",), json={}, data=b"x")


async def test_cancelling_a_call_releases_its_connection(
    server: Server, make_session: SessionFactory
) -> None:
    """A call cancelled while waiting for its answer gives its connection back."""
    server.route("GET", "/slow/1", server.hang)
    async with make_session() as s:
        task = asyncio.create_task(s.request(SLOW, ("1",)))
        await server.wait_for(1)
        assert acquired(s) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert acquired(s) == 0


async def test_raw_upload_body_is_streamed_with_its_type(
    server: Server, make_session: SessionFactory
) -> None:
    """data= bytes are sent as the body with the given content_type."""
    upload = tk.Operation("mediaUpload", "POST", "/medias/{id}")
    server.route("POST", "/medias/m", reply())
    async with make_session() as s:
        await s.request(upload, ("m",), data=b"\x00\x01PNG", content_type="image/png")
    (sent,) = server.requests()
    assert sent.body == b"\x00\x01PNG"
    assert sent.headers["Content-Type"] == "image/png"


async def test_enum_query_values_are_sent_by_value(
    server: Server, make_session: SessionFactory
) -> None:
    """An Enum member in the query is sent as its value."""

    class Format(enum.Enum):
        ZIP = "zip"

    server.route("GET", "/projects/p/tasks", reply(200, {"ok": True, "items": []}))
    async with make_session() as s:
        await s.request(LIST, ("p",), query={"format": Format.ZIP})
    assert server.requests()[0].query == {"format": "zip"}


async def test_close_is_idempotent_and_open_explicit(make_session: SessionFactory) -> None:
    """open() and close() may be called directly; closing twice is harmless."""
    s = make_session()
    await s.open()
    await s.open()
    await s.close()
    await s.close()


@pytest.mark.parametrize(
    "kwargs",
    [{"deadline": 0}, {"max_connections": 0}, {"rate_limit": -1.0}],
    ids=["deadline", "max_connections", "rate_limit"],
)
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    """Non-positive deadlines, connection limits and rates raise ValidationError."""
    with pytest.raises(tk.ValidationError):
        tk.Session(TOKEN, **kwargs)  # type: ignore[arg-type]  # a dict of mixed settings


async def test_per_call_deadline_must_be_positive(make_session: SessionFactory) -> None:
    """request(deadline=0) is refused before sending."""
    async with make_session() as s:
        with pytest.raises(tk.ValidationError, match="deadline"):
            await s.request(GET, ("p",), deadline=0)


async def test_caller_session_raise_for_status_does_not_change_errors(server: Server) -> None:
    """A ClientSession with raise_for_status=True still yields our typed, unretried errors."""
    server.route("GET", "/projects/p", error(404, "NOT_FOUND", "gone"))
    async with (
        aiohttp.ClientSession(raise_for_status=True) as http,
        tk.Session(TOKEN, base_url=server.base_url, http=http) as s,
    ):
        with pytest.raises(tk.NotFoundError):
            await s.request(GET, ("p",))
    assert len(server.requests()) == 1


@pytest.mark.parametrize("token", [" ", "tskdp_a\r\nX-Evil: 1", " tskdp_a", 42])
def test_malformed_tokens_are_refused(token: object) -> None:
    """Blank tokens, tokens with line breaks or spaces around, and non-strings are refused."""
    with pytest.raises(tk.AuthenticationError, match="token"):
        tk.Session(token)  # type: ignore[arg-type]  # wrong types on purpose


async def test_cancelling_mid_body_releases_its_connection(
    server: Server, make_session: SessionFactory
) -> None:
    """A call cancelled after the headers arrived, while the body stalls, frees its connection."""

    async def stall(request: aiohttp.web.Request) -> aiohttp.web.StreamResponse:
        response = aiohttp.web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "100"}
        )
        await response.prepare(request)
        await response.write(b'{"ok": true, ')
        return await server.hang(request)

    server.route("GET", "/slow/1", stall)
    headers_in = asyncio.Event()

    async def on_headers(*_: object) -> None:
        headers_in.set()

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_headers)  # fires once the response headers arrived
    async with (
        aiohttp.ClientSession(trace_configs=[trace]) as http,
        make_session(http=http) as s,
    ):
        task = asyncio.create_task(s.request(SLOW, ("1",)))
        await headers_in.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert acquired(s) == 0
