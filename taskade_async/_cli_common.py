"""What the ``taskade-async`` commands share: exit statuses, argument types,
the ``--token``/``--base-url`` and ``-q``/``-v`` options, logging, the session
and a SIGTERM that stops a run as Ctrl-C does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable
from typing import Final, TypeAlias, TypeVar

from taskade_async._session import DEFAULT_BASE_URL, Session
from taskade_async.export._checks import id_problem
from taskade_async.export._engine import DEFAULT_CONCURRENCY
from taskade_async.export._progress import Progress

__all__ = [
    "EXIT_FAILED",
    "EXIT_FATAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "Subparsers",
    "Terminated",
    "add_noise_options",
    "add_pace_options",
    "add_token_options",
    "fail",
    "id_arg",
    "open_session",
    "positive_float",
    "positive_int",
    "setup_logging",
    "stoppable",
    "stopped_status",
    "token_of",
]

EXIT_OK: Final = 0
#: Some items failed (or differ, or are damaged): the run finished, not wholly.
EXIT_FAILED: Final = 1
EXIT_FATAL: Final = 2
EXIT_INTERRUPTED: Final = 130
EXIT_TERMINATED: Final = 128 + signal.SIGTERM
TOKEN_ENV: Final = "TASKADE_TOKEN"
#: What ``add_subparsers`` returns.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
_T = TypeVar("_T")


def id_arg(text: str) -> str:
    """An id argument (``--folder ID``...), refused as the API would refuse it."""
    problem = id_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def positive_int(text: str) -> int:
    """An integer of at least 1, for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0, for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def add_token_options(
    parser: argparse.ArgumentParser,
    token_help: str = f"personal access token (default: ${TOKEN_ENV})",
) -> None:
    """Add ``--token`` and ``--base-url`` (``None`` when absent: the session reads the env)."""
    parser.add_argument("--token", help=token_help)
    parser.add_argument(
        "--base-url", help=f"API base URL (default: $TASKADE_BASE_URL, else {DEFAULT_BASE_URL})"
    )


def add_pace_options(
    parser: argparse.ArgumentParser, rate_help: str = "at most R requests per second"
) -> None:
    """Add ``--concurrency N`` and ``--rate R``."""
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help="at most N requests in flight (default: %(default)s)",
    )
    parser.add_argument("--rate", type=positive_float, metavar="R", help=rate_help)


def add_noise_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--quiet``/``-q`` and ``--verbose``/``-v`` (one or the other)."""
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    noise.add_argument("--verbose", "-v", action="store_true", help="log every request")


def token_of(args: argparse.Namespace) -> str | None:
    """``--token``, else ``$TASKADE_TOKEN``."""
    token: str | None = args.token or os.environ.get(TOKEN_ENV)
    return token


def fail(where: str, message: str) -> int:
    """Say ``where: error: message`` on stderr; the fatal exit status."""
    print(f"{where}: error: {message}", file=sys.stderr)
    return EXIT_FATAL


def setup_logging(args: argparse.Namespace) -> None:
    """The library's log on stderr, at the level ``-q``/``-v`` chose."""
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    root = logging.getLogger("taskade_async")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


async def open_session(
    stack: contextlib.AsyncExitStack, token: str, base_url: str | None, args: argparse.Namespace
) -> tuple[Session, Progress | None]:
    """A session at ``--concurrency`` and ``--rate``, and a progress line unless ``-q``."""
    session = await stack.enter_async_context(
        Session(
            token,
            base_url=base_url,
            max_connections=args.concurrency,
            rate_limit=args.rate,
        )
    )
    progress = None
    if not args.quiet:
        progress = await stack.enter_async_context(Progress(lambda: session.stats.requests))
    return session, progress


class Terminated(Exception):
    """SIGTERM stopped the run (a container or service stop)."""


async def stoppable(run: Awaitable[_T]) -> _T:
    """Await ``run``; SIGTERM cancels it as Ctrl-C does, then raises :class:`Terminated`."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:  # a second SIGTERM does not cut the clean-up short
            stopped = True
            task.cancel()

    # Windows has no loop signal handlers: there SIGTERM ends the process as before.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, stop)
    try:
        return await run
    except asyncio.CancelledError:
        if stopped:
            raise Terminated from None
        raise
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)


def stopped_status(exc: KeyboardInterrupt | Terminated) -> tuple[str, int]:
    """What stopped a run, in words, and its exit status."""
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted", EXIT_INTERRUPTED
    return "Stopped (SIGTERM)", EXIT_TERMINATED
