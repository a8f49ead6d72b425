"""How long an event takes from the API call that causes it to a bot's callback.

FakeTaskade delivers ``task.assigned`` (signed) to a receiver built with
``taskade_async.events.handler``; the callback either only records the time
(the delivery round trip) or does what examples/bot.py does, asking an agent
and writing the answer as the task's note (the bot's whole turn). Everything
runs on loopback in one process, so the figures are the library's and the
fake's own overhead, not a network's. Prints medians and p90/p99.

    PYTHONPATH=. python3 benchmarks/bench_bot.py [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import time

from aiohttp import web

import taskade_async as tk
from taskade_async import events
from taskade_async.api import agents, tasks, webhooks
from taskade_async.testing import FakeTaskade


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(rounds: int, full_turn: bool) -> list[float]:
    async with FakeTaskade() as fake, tk.Session(fake.token, base_url=fake.base_url) as s:
        space = fake.add_workspace("Team")
        fake.add_member(space, "bob")
        fake.add_member(space, "eve")
        project = fake.add_project(space, "Launch")
        task = fake.add_task(project, "Write the press release")
        agent = fake.add_agent(space, "Helper")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        created = await webhooks.create(
            s, target_url=f"http://127.0.0.1:{port}/taskade", events=["task.assigned"]
        )
        arrived: asyncio.Queue[float] = asyncio.Queue()

        async def on_event(event: events.Event) -> None:
            if full_turn and isinstance(event, events.TaskAssigned):
                node = event.nodes[0]
                answer = await agents.prompt(
                    s, space.id, agent.id, prompt=f"How should I start: {node.node_text}?"
                )
                await tasks.set_note(s, project.id, task.id, type="text/markdown", value=answer)
            arrived.put_nowait(time.perf_counter())

        app = web.Application()
        app.router.add_post("/taskade", events.handler(on_event, secret=created.secret))
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            times: list[float] = []
            for i in range(rounds):
                started = time.perf_counter()
                handles = ["bob"] if i % 2 else ["eve"]  # a change each time: one event each
                await tasks.set_assignees(s, project.id, task.id, handles=handles)
                done = await asyncio.wait_for(arrived.get(), timeout=10)
                times.append((done - started) * 1000)
            await fake.deliveries_idle()
            return times
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    for full_turn, what in ((False, "API call -> callback"), (True, "API call -> note written")):
        times = asyncio.run(_measure(args.rounds, full_turn))
        print(
            f"{what:26} median {statistics.median(times):6.2f} ms  "
            f"p90 {_quantile(times, 0.9):6.2f} ms  p99 {_quantile(times, 0.99):6.2f} ms  "
            f"({args.rounds} rounds)"
        )


if __name__ == "__main__":
    main()
