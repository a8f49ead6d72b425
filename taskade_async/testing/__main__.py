"""``python -m taskade_async.testing serve``: run a FakeTaskade until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import Any

from ._fake import FakeTaskade
from ._faultspec import parse_faults


def _faults(text: str) -> dict[str, Any]:
    try:
        return parse_faults(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m taskade_async.testing", description="An in-memory Taskade API server."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    serve.add_argument("--demo", action="store_true", help="load the demo data set")
    serve.add_argument("--seed", type=int, default=0, help="seed of the demo data (default 0)")
    serve.add_argument("--token", default=None, help="personal token to accept (default: new)")
    serve.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every answer (default 0)"
    )
    serve.add_argument(
        "--projects",
        type=int,
        default=0,
        metavar="N",
        help="add a 'Bench' workspace with N generated projects (for benchmarks)",
    )
    serve.add_argument(
        "--tasks-per-project",
        type=int,
        default=500,
        metavar="M",
        help="tasks in each generated project (default 500)",
    )
    serve.add_argument(
        "--rate-limit", type=float, default=None, metavar="RPS", help="per-token requests/second"
    )
    serve.add_argument("--burst", type=int, default=None, help="burst for --rate-limit")
    serve.add_argument(
        "--faults",
        type=_faults,
        default=None,
        metavar="SPEC",
        help="random faults, e.g. reset:0.02,503:0.03,429:0.01,seed:1 (names: reset, "
        "reset_mid_body, 503, 429, slow, slow_seconds, retry_after, seed, method, path)",
    )
    serve.add_argument(
        "--no-retry-after",
        action="store_true",
        help="answer 429 without a Retry-After header (with --rate-limit)",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with FakeTaskade(
        host=args.host, port=args.port, seed=args.seed, token=args.token, latency=args.latency
    ) as fake:
        if args.demo:
            fake.load_demo(args.seed)
        if args.projects > 0:
            bench = fake.add_workspace("Bench")
            for i in range(args.projects):
                fake.add_project(
                    bench, f"Project {i + 1}", task_count=args.tasks_per_project, seed=i
                )
        if args.rate_limit is not None:
            fake.set_rate_limit(args.rate_limit, args.burst, retry_after=not args.no_retry_after)
        if args.faults is not None:
            fake.random_faults(**args.faults)
        fake.record = False  # a long-running server must not grow without bound
        print(f"TASKADE_BASE_URL={fake.base_url}", flush=True)
        print(f"TASKADE_TOKEN={fake.token}", flush=True)
        # After the two lines scripts read: the admin API (faults, automations, events).
        print(f"TASKADE_ADMIN_URL={fake.admin_url}", flush=True)
        print("Serving; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; the exit status."""
    args = _parser().parse_args(argv)
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
