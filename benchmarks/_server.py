"""A canned loopback server for benchmarks, run in its own process.

It answers the two shapes the client benchmarks need with pre-serialized bodies,
so its own CPU never counts against the client's: one task, and cursor pages of
tasks from a project of ``--tasks`` tasks. Prints its port, then serves until
stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiohttp import web


def _task(i: int) -> dict[str, object]:
    return {
        "id": f"t{i:015d}",
        "text": f"Task number {i}: follow up with the client about the proposal",
        "parentId": f"t{(i // 10):015d}" if i else "root",
        "completed": i % 3 == 0,
    }


def make_app(n_tasks: int, latency: float) -> web.Application:
    one = json.dumps({"ok": True, "item": _task(1)}).encode()
    tasks = [json.dumps(_task(i)).encode() for i in range(n_tasks)]
    index = {f"t{i:015d}": i for i in range(n_tasks)}

    async def get_task(request: web.Request) -> web.Response:
        if latency:
            await asyncio.sleep(latency)
        return web.Response(body=one, content_type="application/json")

    async def list_tasks(request: web.Request) -> web.Response:
        if latency:
            await asyncio.sleep(latency)
        limit = int(request.query.get("limit", "100"))
        after = request.query.get("after")
        start = index[after] + 1 if after else 0
        body = b'{"ok":true,"items":[' + b",".join(tasks[start : start + limit]) + b"]}"
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/api/v1/projects/{project}/tasks/{task}", get_task)
    app.router.add_get("/api/v1/projects/{project}/tasks", list_tasks)
    return app


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    runner = web.AppRunner(make_app(args.tasks, args.latency), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
