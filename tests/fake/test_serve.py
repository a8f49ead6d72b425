"""``python -m taskade_async.testing serve`` as a real subprocess."""

from __future__ import annotations

import asyncio
import signal

import aiohttp

from tests._cli import start


async def test_serve_prints_url_and_token_and_stops_on_sigint() -> None:
    """The serve command prints a base URL and token, answers requests, and exits on Ctrl-C."""
    args = ("serve", "--demo", "--projects", "3", "--tasks-per-project", "7", "--port", "0")
    process = await start(*args, module="taskade_async.testing")
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        async with asyncio.timeout(30):
            while len(printed) < 2:
                line = (await process.stdout.readline()).decode().strip()
                assert line, "serve exited before printing its URL"
                key, _, value = line.partition("=")
                printed[key] = value
        base_url, token = printed["TASKADE_BASE_URL"], printed["TASKADE_TOKEN"]
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/api/v1")
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{base_url}/workspaces") as response:
                assert response.status == 200
                workspaces = (await response.json())["items"]
            assert [w["name"] for w in workspaces] == [
                "Acme Corp",
                "Personal",
                "Open Source",
                "Bench",
            ]
            async with http.get(f"{base_url}/folders/{workspaces[-1]['id']}/projects") as response:
                projects = (await response.json())["items"]
            assert len(projects) == 3
            async with http.get(f"{base_url}/projects/{projects[0]['id']}/tasks") as response:
                assert len((await response.json())["items"]) == 7
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
