"""``serve`` driven from another process: --faults, and the admin API it prints."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

import taskade_async as tk
from taskade_async import events
from taskade_async.api import me, webhooks, workspaces
from tests._cli import start

ONCE = tk.RetryPolicy.never()


@pytest.fixture
async def served() -> AsyncIterator[dict[str, str]]:
    """A ``serve`` child process with one project and a fault on /me/projects; its printed lines."""
    args = ("serve", "--projects", "1", "--tasks-per-project", "2")
    process = await start(
        *args, "--faults", "503:1,path:/api/v1/me/projects,seed:1", module="taskade_async.testing"
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        async with asyncio.timeout(60):
            for _ in range(3):
                line = (await process.stdout.readline()).decode().strip()
                assert line, "serve exited before printing its URLs"
                key, _, value = line.partition("=")
                printed[key] = value
        assert list(printed) == ["TASKADE_BASE_URL", "TASKADE_TOKEN", "TASKADE_ADMIN_URL"]
        yield printed
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _session(printed: dict[str, str]) -> tk.Session:
    return tk.Session(printed["TASKADE_TOKEN"], base_url=printed["TASKADE_BASE_URL"], retry=ONCE)


async def test_faults_from_the_command_line_and_switched_at_run_time(
    served: dict[str, str],
) -> None:
    """--faults applies from the start; the admin API clears, sets and queues faults."""
    admin = served["TASKADE_ADMIN_URL"]
    async with _session(served) as s, aiohttp.ClientSession() as http:
        assert [w.name async for w in workspaces.list(s)] == ["Bench"]
        with pytest.raises(tk.ServerError):
            await me.list_projects(s).collect()  # --faults: always 503 on this path
        async with http.delete(f"{admin}/faults") as r:
            assert r.status == 200
        assert len(await me.list_projects(s).collect()) == 1
        fault = {"kind": "status", "status": 429, "path": "/api/v1/workspaces", "retry_after": 9}
        async with http.post(f"{admin}/faults/next", json=fault) as r:
            assert r.status == 200
        with pytest.raises(tk.RateLimitError) as caught:
            await workspaces.list(s).collect()
        assert caught.value.retry_after == 9
        async with http.put(f"{admin}/faults", json={"faults": "503:1,seed:2"}) as r:
            assert r.status == 200
        with pytest.raises(tk.ServerError):
            await workspaces.list(s).collect()
        async with http.get(f"{admin}/faults") as r:
            assert (await r.json())["drawn"] == {"status 503": 1}  # the admin call not counted
        async with http.put(f"{admin}/faults", json={"faults": "502:1"}) as r:
            assert r.status == 400
            assert "unknown name" in (await r.json())["message"]
        async with http.get(admin.rsplit("/", 1)[0] + "/guess/faults") as r:
            assert r.status == 404  # only the printed path works


async def test_automations_and_events_from_another_process(served: dict[str, str]) -> None:
    """The admin API adds an automation and reads its runs, and simulates builder events."""
    admin = served["TASKADE_ADMIN_URL"]
    received: list[events.Event] = []
    async with _session(served) as s, aiohttp.ClientSession() as http:
        async with http.post(f"{admin}/automations", json={}) as r:
            assert r.status == 201
            url = (await r.json())["url"]
        await tk.trigger_automation(s, url, {"customer": "Ann"})
        async with http.get(f"{admin}/automations/runs", params={"url": url}) as r:
            assert (await r.json())["runs"] == [{"customer": "Ann"}]

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        hook = await webhooks.create(
            s, target_url=f"http://127.0.0.1:{port}/bot", events=["project.joined"]
        )
        assert hook.secret is not None

        async def on_event(event: events.Event) -> None:
            received.append(event)

        app = web.Application()
        app.router.add_post("/bot", events.handler(on_event, secret=hook.secret))
        runner = web.AppRunner(app)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            ws = (await workspaces.list(s).collect())[0]
            project = (await workspaces.list_projects(s, ws.id).collect())[0]
            body = {"projectId": project.id, "joinerName": "Ann"}
            async with http.post(f"{admin}/events/project.joined", json=body) as r:
                assert r.status == 200, await r.text()
                assert (await r.json())["deliveries"] == 1
            async with http.post(
                f"{admin}/events/task.due", json={"projectId": "nope", "taskId": "x"}
            ) as r:
                assert r.status == 404
            async with http.get(f"{admin}/deliveries") as r:
                assert [d["status"] for d in (await r.json())["deliveries"]] == [204]
        finally:
            await runner.cleanup()
    assert [type(e).__name__ for e in received] == ["ProjectJoined"]
