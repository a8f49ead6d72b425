"""TASKADE_LOG configures the logger without code; no secret appears in any log line."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Iterator

import pytest

import taskade_async as tk
from taskade_async import _logging
from taskade_async.api import projects
from taskade_async.testing import FakeTaskade

#: A program that knows nothing of logging: what TASKADE_LOG alone makes it print.
PROGRAM = """
import asyncio, taskade_async as tk
from taskade_async.api import projects

async def main():
    async with tk.Session(retry=tk.RetryPolicy(base_backoff=0.001)) as s:
        await projects.get(s, "{project}")
        try:
            await projects.get(s, "no-such-project")
        except tk.NotFoundError:
            pass

asyncio.run(main())
"""


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """The package's logger, its level and handlers restored after the test."""
    log = logging.getLogger("taskade_async")
    level, handlers = log.level, list(log.handlers)
    yield log
    log.setLevel(level)
    log.handlers[:] = handlers


@pytest.mark.parametrize(
    ("value", "level"),
    [("debug", 10), ("INFO", 20), (" warning ", 30), ("", None), (None, None)],
)
def test_levels_by_name(value: str | None, level: int | None) -> None:
    """debug, info and warning (any case) name their levels; unset or empty names none."""
    assert _logging.level_of(value) == level


def test_configure_sets_the_level_and_one_stderr_handler(logger: logging.Logger) -> None:
    """configure() sets the level and adds one stderr handler, however often it runs."""
    assert _logging.configure({"TASKADE_LOG": "info"}) == logging.INFO
    assert _logging.configure({"TASKADE_LOG": "debug"}) == logging.DEBUG
    assert logger.level == logging.DEBUG
    added = [h for h in logger.handlers if isinstance(h, _logging._EnvHandler)]
    assert len(added) == 1
    assert added[0].stream is sys.stderr


def test_an_unknown_value_is_ignored_with_a_warning(logger: logging.Logger) -> None:
    """TASKADE_LOG=loud warns and leaves the logger alone (an import never fails for it)."""
    before = (logger.level, list(logger.handlers))
    with pytest.warns(UserWarning, match="TASKADE_LOG='loud'"):
        assert _logging.configure({"TASKADE_LOG": "loud"}) is None
    assert (logger.level, list(logger.handlers)) == before


async def _run(fake: FakeTaskade, level: str) -> str:
    project = fake.projects[0].id
    env = {
        **os.environ,
        "TASKADE_LOG": level,
        "TASKADE_TOKEN": fake.token,
        "TASKADE_BASE_URL": str(fake.base_url),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PROGRAM.format(project=project),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out == b""
    return err.decode()


async def test_taskade_log_debug_prints_every_request_on_stderr(taskade_fake: FakeTaskade) -> None:
    """With TASKADE_LOG=debug, a program with no logging code prints method, path, status, time."""
    taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    err = await _run(taskade_fake, "debug")
    project = taskade_fake.projects[0].id
    assert f"GET /api/v1/projects/{project} -> 200 (attempt 1, " in err
    assert "GET /api/v1/projects/no-such-project -> 404 (attempt 1, " in err
    assert " ms)" in err
    assert "DEBUG taskade_async" in err
    assert taskade_fake.token not in err


@pytest.mark.parametrize("level", ["info", "warning", ""])
async def test_above_debug_no_request_lines(taskade_fake: FakeTaskade, level: str) -> None:
    """At info, warning or unset, the same program prints no per-request line."""
    taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    err = await _run(taskade_fake, level)
    assert "-> 200" not in err
    assert "DEBUG" not in err


async def test_no_secret_in_any_log_record(
    taskade_fake: FakeTaskade, caplog: pytest.LogCaptureFixture
) -> None:
    """Tokens, OAuth secrets and automation URLs never appear in a record, at any level."""
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included, every level
    ws = taskade_fake.add_workspace("W")
    project = taskade_fake.add_project(ws, "P")
    client = taskade_fake.register_client(confidential=True)
    issued = taskade_fake.issue_tokens(client)
    automation = taskade_fake.add_automation(bearer="automation-bearer-SECRET")
    secrets = [
        taskade_fake.token,
        issued["access_token"],
        issued["refresh_token"],
        str(client.client_secret),
        automation,
        automation.rsplit("/", 1)[-1],
        "automation-bearer-SECRET",
    ]
    fast = tk.RetryPolicy(base_backoff=0.001, max_backoff=0.002)
    async with tk.Session(taskade_fake.token, base_url=taskade_fake.base_url, retry=fast) as s:
        taskade_fake.fail_next(503)
        taskade_fake.reset_next()
        await projects.get(s, project.id)
        with pytest.raises(tk.NotFoundError):
            await projects.get(s, "missing")
        await tk.trigger_automation(s, automation, {"a": 1}, bearer="automation-bearer-SECRET")
        with pytest.raises(tk.APIError):
            await tk.trigger_automation(s, automation + "x", {"a": 1})
    auth = tk.OAuth2(
        issued["access_token"],
        refresh_token=issued["refresh_token"],
        client_id=client.client_id,
        client_secret=client.client_secret,
        token_url=taskade_fake.token_url,
    )
    async with tk.Session(auth=auth, base_url=taskade_fake.base_url, retry=fast) as s:
        taskade_fake.expire_tokens()
        await projects.get(s, project.id)  # 401, a refresh, then the call again
    secrets += [auth.access_token, str(auth.refresh_token)]
    assert auth.refresh_count == 1
    levels = {r.levelno for r in caplog.records}
    assert logging.DEBUG in levels
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {record.exc_info!r} {record.exc_text}"
        for secret in secrets:
            assert secret not in text, (secret, text)
