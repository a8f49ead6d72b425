"""DEBUG logging on the ``taskade_async`` logger: useful, and never the token."""

from __future__ import annotations

import logging

import pytest

import taskade_async as tk

from .conftest import TOKEN, SessionFactory
from .server import Server, TokenEndpoint, error, reply, reset, sequence

GET = tk.Operation("projectGet", "GET", "/projects/{projectId}")


async def test_debug_log_has_method_path_status_attempt_elapsed(
    server: Server, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """Each attempt logs method, path, status, attempt number and elapsed milliseconds."""
    server.route("GET", "/projects/p", sequence(error(503, "UNAVAILABLE", "x"), reply()))
    caplog.set_level(logging.DEBUG, logger="taskade_async")
    async with make_session() as s:
        await s.request(GET, ("p",))
    lines = [r.getMessage() for r in caplog.records if r.name == "taskade_async"]
    assert any(
        "GET /api/v1/projects/p -> 503 (attempt 1, " in line and " ms)" in line for line in lines
    )
    assert any("GET /api/v1/projects/p -> 200 (attempt 2, " in line for line in lines)
    assert any(line.startswith("retrying in ") for line in lines)


async def test_logs_never_hold_the_token(
    server: Server, make_session: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """No log record of a run with errors, resets and a refresh mentions any token."""
    tokens = TokenEndpoint(access="at-SECRET", refresh="rt-SECRET")
    url = tokens.install(server)
    server.route("GET", "/projects/p", tokens.guard(reply()))
    server.route("GET", "/projects/r", sequence(reset(), reply()))
    server.route("GET", "/projects/e", error(401, "UNAUTHORIZED", "no"))
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included
    auth = tk.OAuth2("SECRET-old", refresh_token="rt-SECRET", token_url=url)
    async with make_session(auth=auth) as s:
        await s.request(GET, ("p",))
        await s.request(GET, ("r",))
    async with make_session() as s:
        with pytest.raises(tk.UnauthorizedError):
            await s.request(GET, ("e",))
    assert tokens.refreshes == 1
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + str(record.exc_info)
        assert "SECRET" not in text, text
        assert TOKEN not in text, text
