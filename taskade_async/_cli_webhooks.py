"""``taskade-async webhooks create|list|get|delete``: manage signed webhooks (API v2).

Each command prints JSON lines on stdout: ``create`` one object with the
``webhook`` and its ``secret`` (shown only then: keep it), ``list`` one webhook
per line, ``get`` one, ``delete`` ``{"id": ..., "deleted": true|false}``. The
token comes from ``--token`` or ``$TASKADE_TOKEN``, the API from ``--base-url``
or ``$TASKADE_BASE_URL``. Exit status: 0 done, 2 a usage, API or network error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any, TextIO

from taskade_async import _cli_common as common
from taskade_async._cli_common import EXIT_OK, Subparsers
from taskade_async._convert import to_wire
from taskade_async._errors import TaskadeError
from taskade_async._session import DEFAULT_BASE_URL, Session
from taskade_async.api import webhooks

__all__ = ["add_webhooks_parser", "run_webhooks"]

Action = Callable[[Session, argparse.Namespace], AsyncIterator[dict[str, Any]]]


def add_webhooks_parser(commands: Subparsers) -> Subparsers:
    """Add the ``webhooks`` group to ``commands`` (the CLI's subparsers); return its own.

    More actions join the group with ``add_parser`` on the returned object and
    ``set_defaults(handler=fn)``, where ``fn(args) -> int`` runs the action.
    """
    group = commands.add_parser(
        "webhooks",
        help="manage signed outbound webhooks (API v2)",
        description="Register, list, show and delete the webhooks Taskade signs and sends.",
    )
    actions: Subparsers = group.add_subparsers(
        dest="webhooks_command", required=True, metavar="ACTION"
    )
    create = _action(actions, "create", "register a webhook; prints it with its secret", _create)
    create.add_argument("target_url", metavar="URL", help="where Taskade POSTs events (https)")
    create.add_argument(
        "--event",
        dest="events",
        action="append",
        required=True,
        metavar="EVENT",
        help="an event to send, e.g. task.assigned (repeatable)",
    )
    create.add_argument(
        "--space",
        dest="space_ids",
        action="append",
        default=[],
        metavar="ID",
        help="only events of this workspace (repeatable; default: all)",
    )
    create.add_argument(
        "--replace",
        action="store_true",
        help="if URL is registered, delete that webhook and register again (a new secret)",
    )
    _action(actions, "list", "print every webhook, one per line", _list)
    for name, what, fn in (("get", "print one webhook", _get), ("delete", "delete one", _delete)):
        parser = _action(actions, name, what, fn)
        parser.add_argument("webhook_id", metavar="ID", help="the webhook's id (its target URL)")
    return actions


def _action(actions: Subparsers, name: str, help_text: str, fn: Action) -> argparse.ArgumentParser:
    parser = actions.add_parser(name, help=help_text)
    parser.add_argument("--token", help="personal access token (default: $TASKADE_TOKEN)")
    parser.add_argument(
        "--base-url",
        default=os.environ.get("TASKADE_BASE_URL", str(DEFAULT_BASE_URL)),
        help="API v1 base URL; v2 is its sibling (default: $TASKADE_BASE_URL or %(default)s)",
    )
    parser.set_defaults(handler=run_webhooks, webhooks_action=fn)
    return parser


async def _create(session: Session, args: argparse.Namespace) -> AsyncIterator[dict[str, Any]]:
    made = await webhooks.create(
        session,
        target_url=args.target_url,
        events=args.events,
        space_ids=args.space_ids,
        replace=args.replace,
    )
    yield {"webhook": to_wire(made.webhook), "secret": made.secret}


async def _list(session: Session, args: argparse.Namespace) -> AsyncIterator[dict[str, Any]]:
    async for hook in webhooks.list(session):
        yield to_wire(hook)


async def _get(session: Session, args: argparse.Namespace) -> AsyncIterator[dict[str, Any]]:
    yield to_wire(await webhooks.get(session, args.webhook_id))


async def _delete(session: Session, args: argparse.Namespace) -> AsyncIterator[dict[str, Any]]:
    yield {"id": args.webhook_id, "deleted": await webhooks.delete(session, args.webhook_id)}


async def run_async(args: argparse.Namespace, out: TextIO) -> int:
    """Run a ``webhooks`` action, writing its JSON lines to ``out``; the exit status."""
    token = common.token_of(args)
    where = f"taskade-async webhooks {args.webhooks_command}"
    if not token:
        return common.fail(where, "no token: pass --token or set TASKADE_TOKEN")
    action: Action = args.webhooks_action
    try:
        async with Session(token, base_url=args.base_url) as session:
            async for line in action(session, args):
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                out.flush()
    except TaskadeError as exc:
        return common.fail(where, str(exc))
    return EXIT_OK


def run_webhooks(args: argparse.Namespace) -> int:
    """The ``handler`` of the ``webhooks`` actions: run one and return its exit status."""
    return asyncio.run(run_async(args, sys.stdout))
