"""``taskade-async webhooks listen`` and ``taskade-async trigger``, run as subprocesses."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import AsyncIterator

import aiohttp
import attrs
import pytest
import pytest_asyncio

from taskade_async import events
from taskade_async.testing import FakeTaskade
from tests._cli import Result, run, start

TIMEOUT = 30


async def _run(*args: str, **env: str) -> Result:
    return await run(*args, limit=TIMEOUT, **env)


@attrs.define
class Listener:
    """A running ``webhooks listen`` and the URL it serves."""

    proc: asyncio.subprocess.Process
    url: str

    async def post(self, body: bytes, signature: str | None) -> int:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[events.SIGNATURE_HEADER] = signature
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=body, headers=headers) as resp,
        ):
            return resp.status

    async def line(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        raw = await asyncio.wait_for(self.proc.stdout.readline(), timeout=TIMEOUT)
        parsed: dict[str, object] = json.loads(raw)
        return parsed

    async def stop(self, signum: int) -> Result:
        self.proc.send_signal(signum)
        out, err = await asyncio.wait_for(self.proc.communicate(), timeout=TIMEOUT)
        assert self.proc.returncode is not None
        return Result(self.proc.returncode, out.decode(), err.decode())


@pytest_asyncio.fixture
async def listener() -> AsyncIterator[Listener]:
    """``webhooks listen --port 0 --path /hooks`` with two secrets (a rotation)."""
    proc = await start(
        "webhooks", "listen", "--port", "0", "--path", "/hooks",
        TASKADE_WEBHOOK_SECRET=" new-secret , old-secret ",
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        ready = await asyncio.wait_for(proc.stderr.readline(), timeout=TIMEOUT)
        found = re.search(r"listening on (http://\S+)", ready.decode())
        assert found, ready
        yield Listener(proc, found.group(1))
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


PAYLOAD = {"projectName": "P", "projectId": "p1", "assignerName": "Ann", "nodes": []}


async def test_listen_prints_each_verified_delivery_and_exits_0_on_sigterm(
    listener: Listener,
) -> None:
    """Signed deliveries (either secret) become JSON lines; a bad one is 401 and not printed."""
    body = json.dumps(PAYLOAD).encode()
    assert listener.url.endswith("/hooks")
    assert await listener.post(body, events.sign("old-secret", body)) == 204
    assert await listener.line() == {"event": "task.assigned", "data": PAYLOAD}
    assert await listener.post(body, "sha256=" + "0" * 64) == 401
    assert await listener.post(body, None) == 401
    assert await listener.post(b"[]", events.sign("new-secret", b"[]")) == 400
    other = json.dumps({"joinerName": "Cid", "joinerUserId": "u3", "x": 1}).encode()
    assert await listener.post(other, events.sign("new-secret", other)) == 204
    assert await listener.line() == {
        "event": "project.joined",
        "data": {"joinerName": "Cid", "joinerUserId": "u3", "x": 1},
    }
    result = await listener.stop(signal.SIGTERM)
    assert result.code == 0
    assert result.stdout == ""  # nothing else was printed: the refused ones were not
    assert result.stderr.count("refused POST /hooks: 401") == 2
    assert "refused POST /hooks: 400" in result.stderr
    assert "new-secret" not in result.stderr
    assert "old-secret" not in result.stderr


async def test_listen_exits_0_on_sigint(listener: Listener) -> None:
    """Ctrl-C (SIGINT) stops the listener cleanly with exit status 0."""
    result = await listener.stop(signal.SIGINT)
    assert result.code == 0
    assert "Traceback" not in result.stderr


async def test_listen_without_a_secret_exits_2() -> None:
    """Without TASKADE_WEBHOOK_SECRET (or only commas) the command refuses to start."""
    for env in ({}, {"TASKADE_WEBHOOK_SECRET": " , "}):
        result = await _run("webhooks", "listen", "--port", "0", **env)
        assert result.code == 2
        assert "TASKADE_WEBHOOK_SECRET" in result.stderr


async def test_trigger_posts_the_payload(taskade_fake: FakeTaskade) -> None:
    """trigger URL --data JSON runs the automation once and exits 0, showing a redacted URL."""
    url = taskade_fake.add_automation()
    result = await _run("trigger", url, "--data", '{"customer": "Ann"}')
    assert result.code == 0, result.stderr
    assert taskade_fake.automation_runs(url) == [{"customer": "Ann"}]
    assert url.rsplit("/", 1)[1] not in result.stderr + result.stdout
    assert "triggered http://127.0.0.1" in result.stderr


async def test_trigger_reads_url_and_bearer_from_the_environment(
    taskade_fake: FakeTaskade,
) -> None:
    """--url-env and --bearer-env take both secrets from variables, off the command line."""
    url = taskade_fake.add_automation(bearer="flow-secret")
    result = await _run(
        "trigger", "--url-env", "FLOW_URL", "--data", '{"a": "1"}', "--bearer-env", "FLOW_BEARER",
        FLOW_URL=url, FLOW_BEARER="flow-secret",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert taskade_fake.automation_runs(url) == [{"a": "1"}]


async def test_trigger_refused_by_the_automation_exits_1(taskade_fake: FakeTaskade) -> None:
    """A wrong bearer is a 401 from the automation: exit 1, the URL's secret not shown."""
    url = taskade_fake.add_automation(bearer="flow-secret")
    result = await _run(
        "trigger", url, "--data", '{"a": "1"}', "--bearer-env", "FLOW_BEARER",
        FLOW_BEARER="wrong",
    )  # fmt: skip
    assert result.code == 1
    assert "401" in result.stderr
    assert url.rsplit("/", 1)[1] not in result.stderr
    assert "wrong" not in result.stderr
    assert taskade_fake.automation_runs(url) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "{not json"], "--data is not JSON"),
        (["--data", '{"first name": "Ann"}'], "spaces"),
        (["--data", "[1]"], "JSON object"),
        (["--data", "{}", "--bearer-env", "NOT_SET_ANYWHERE"], "NOT_SET_ANYWHERE is not set"),
    ],
)
async def test_trigger_usage_errors_exit_2_without_sending(
    taskade_fake: FakeTaskade, args: list[str], message: str
) -> None:
    """Bad JSON, a spaced key, a non-object or an unset bearer variable exit 2, nothing sent."""
    url = taskade_fake.add_automation()
    result = await _run("trigger", url, *args)
    assert result.code == 2
    assert message in result.stderr
    assert taskade_fake.automation_runs(url) == []
