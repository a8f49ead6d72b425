"""``taskade-async webhooks inbox list|replay|purge`` and ``webhooks send-test``.

``inbox`` inspects a bot's delivery store (``--store``: an SQLite file, or a
``postgresql://`` DSN, default ``$TASKADE_INBOX_STORE``), replays dead letters
and deletes old records. ``send-test`` POSTs a signed sample of an event to a
URL, as Taskade would (secret from ``$TASKADE_WEBHOOK_SECRET``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from taskade_async import _cli_common as common
from taskade_async._cli_common import EXIT_FAILED as EXIT_PARTLY
from taskade_async._cli_common import EXIT_OK, Subparsers
from taskade_async._errors import TaskadeError

if TYPE_CHECKING:
    from taskade_async.events import Delivery, Store

__all__ = ["add_inbox_commands"]

STORE_ENV: Final = "TASKADE_INBOX_STORE"
SECRET_ENV: Final = "TASKADE_WEBHOOK_SECRET"
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVENTS: Final = (
    "task.due",
    "task.assigned",
    "comment.created",
    "project.created",
    "project.assigned",
    "project.joined",
)


def _duration(text: str) -> float:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if found is None:
        raise argparse.ArgumentTypeError(f"not a duration (like 90s, 30m, 12h, 7d): {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2) or "s"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


def add_inbox_commands(webhooks: Subparsers) -> None:
    """Add ``inbox`` and ``send-test`` to the ``webhooks`` command's subparsers."""
    inbox = webhooks.add_parser(
        "inbox",
        help="inspect a bot's delivery store, replay dead letters, purge old records",
        description=(
            "The store is --store: a SQLite file or a postgresql:// DSN (default: "
            f"${STORE_ENV}; prefer the variable for a DSN with a password). Exit status: "
            "0 done, 1 some keys to replay were not dead letters, 2 usage or store error."
        ),
    )
    actions = inbox.add_subparsers(dest="inbox_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="print records as JSON lines, oldest first")
    listing.add_argument(
        "--state",
        action="append",
        choices=["handling", "failed", "pending", "running", "done", "dead"],
        help="only records in this state (repeatable; default: all but done)",
    )
    listing.add_argument("--limit", type=_positive, default=1000, help="default: %(default)s")
    replay = actions.add_parser("replay", help="make dead letters pending again")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("keys", nargs="*", default=[], metavar="KEY", help="dead letters' keys")
    which.add_argument("--all", action="store_true", help="every dead letter")
    purge = actions.add_parser("purge", help="delete records that are done, failed or dead")
    purge.add_argument(
        "--state",
        action="append",
        choices=["done", "failed", "dead"],
        help="delete records in this state (repeatable; default: done)",
    )
    purge.add_argument(
        "--older-than",
        type=_duration,
        default=0.0,
        metavar="AGE",
        help="only records last changed longer ago than AGE (90s, 30m, 12h, 7d; default: any)",
    )
    for parser in (listing, replay, purge):
        parser.add_argument("--store", help=f"SQLite file or postgresql:// DSN (${STORE_ENV})")
        parser.add_argument("--table", default="taskade_deliveries", help="PostgreSQL table")
        parser.set_defaults(handler=_inbox)

    send = webhooks.add_parser(
        "send-test",
        help="POST a signed sample event to a URL, as Taskade would",
        description=(
            f"Sign a sample payload of EVENT with the first secret in ${SECRET_ENV} and POST "
            "it to URL. Prints the answer's status and body on stderr. Exit status: 0 the "
            "URL answered 2xx, 1 it answered something else, 2 usage or network error."
        ),
    )
    send.add_argument("url", metavar="URL", help="the bot's webhook URL")
    send.add_argument("--event", required=True, choices=_EVENTS, help="which event to send")
    send.add_argument(
        "--data", metavar="JSON", help="a JSON object whose keys replace the sample's"
    )
    send.set_defaults(handler=_send_test)


def _fail(command: str, message: str) -> int:
    return common.fail(f"taskade-async webhooks {command}", message)


def _open_store(where: str, table: str) -> Store:
    from taskade_async import events

    if re.match(r"postgres(ql)?://", where):
        return events.PostgresStore(where, table=table)
    return events.SQLiteStore(where)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


def _line(d: Delivery) -> str:
    return json.dumps(
        {
            "key": d.key,
            "state": d.state,
            "attempts": d.attempts,
            "received_at": _iso(d.received_at),
            "updated_at": _iso(d.updated_at),
            "error": d.error,
        }
    )


def _inbox(args: argparse.Namespace) -> int:
    where = args.store or os.environ.get(STORE_ENV, "").strip()
    if not where:
        return _fail("inbox", f"give --store or set {STORE_ENV}")
    if not re.match(r"postgres(ql)?://", where) and not os.path.exists(where):
        return _fail("inbox", f"no such SQLite file: {where}")
    try:
        return asyncio.run(_inbox_async(args, _open_store(where, args.table)))
    except (TaskadeError, OSError) as exc:
        return _fail("inbox", str(exc))
    except Exception as exc:  # the database's own errors (sqlite3, asyncpg)
        return _fail("inbox", f"{type(exc).__name__}: {exc}")


async def _inbox_async(args: argparse.Namespace, store: Store) -> int:
    from taskade_async.events import STATES

    try:
        await store.open()
        if args.inbox_command == "list":
            states = args.state or [s for s in STATES if s != "done"]
            for delivery in await store.list(states, args.limit):
                print(_line(delivery))
            return EXIT_OK
        if args.inbox_command == "replay":
            keys = None if args.all else list(dict.fromkeys(args.keys))
            count = await store.replay(keys, time.time())
            print(json.dumps({"replayed": count}))
            if keys is not None and count < len(keys):
                print(
                    f"taskade-async webhooks inbox replay: {len(keys) - count} of the keys "
                    "were not dead letters",
                    file=sys.stderr,
                )
                return EXIT_PARTLY
            return EXIT_OK
        count = await store.purge(args.state or ["done"], time.time() - args.older_than)
        print(json.dumps({"purged": count}))
        return EXIT_OK
    finally:
        await store.close()


def _send_test(args: argparse.Namespace) -> int:
    from taskade_async.events._samples import sample

    secrets = [s.strip() for s in os.environ.get(SECRET_ENV, "").split(",") if s.strip()]
    if not secrets:
        return _fail("send-test", f"set {SECRET_ENV} to the webhook's signing secret")
    payload = sample(args.event)
    if args.data is not None:
        try:
            extra = json.loads(args.data)
        except ValueError as exc:
            return _fail("send-test", f"--data is not JSON: {exc}")
        if not isinstance(extra, dict):
            return _fail("send-test", "--data must be a JSON object")
        payload.update(extra)
    try:
        status, text = asyncio.run(_post(args.url, payload, secrets[0]))
    except Exception as exc:  # aiohttp's connection errors, a bad URL
        return _fail("send-test", f"could not POST to {args.url}: {type(exc).__name__}: {exc}")
    print(f"{args.event} -> {status} {text[:500]}".rstrip(), file=sys.stderr)
    return EXIT_OK if 200 <= status < 300 else EXIT_PARTLY


async def _post(url: str, payload: dict[str, Any], secret: str) -> tuple[int, str]:
    import aiohttp

    from taskade_async.events import SIGNATURE_HEADER, sign

    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {SIGNATURE_HEADER: sign(secret, body), "Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=60)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(url, data=body, headers=headers) as resp,
    ):
        return resp.status, await resp.text(errors="replace")
