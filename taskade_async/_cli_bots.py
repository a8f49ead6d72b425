"""``taskade-async webhooks listen`` and ``taskade-async trigger``: the bot's local loop.

``webhooks listen`` is to Taskade's signed deliveries what ``stripe listen``
is to Stripe's: it verifies each one and prints it as one JSON line
``{"event": ..., "data": {...}}`` on stdout. ``trigger`` starts an
automation through its inbound webhook URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from taskade_async import _cli_common as common
from taskade_async._cli_common import EXIT_FAILED as EXIT_REFUSED
from taskade_async._cli_common import EXIT_OK, Subparsers
from taskade_async._errors import APIError, TaskadeError

if TYPE_CHECKING:
    from aiohttp import web

    from taskade_async.events import Event

__all__ = ["add_listen_command", "add_trigger_command"]

SECRET_ENV: Final = "TASKADE_WEBHOOK_SECRET"


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value}")
    return value


def _http_url(text: str) -> str:
    if not re.match(r"https?://[^/\s]+", text):
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {text!r}")
    return text


def _route(text: str) -> str:
    if not text.startswith("/"):
        raise argparse.ArgumentTypeError(f"the path must start with '/': {text!r}")
    return text


def add_listen_command(webhooks: Subparsers) -> None:
    """Add ``listen`` to the ``webhooks`` command's subparsers."""
    listen = webhooks.add_parser(
        "listen",
        help="receive signed deliveries locally and print each as a JSON line",
        description=(
            "Serve POST PATH on HOST:PORT, verify each delivery's X-Taskade-Signature "
            f"with the secret in ${SECRET_ENV} (several, comma-separated, during a "
            "rotation) and print each verified one as a JSON line "
            '{"event": NAME, "data": PAYLOAD} on stdout. Badly signed or malformed '
            "deliveries are refused (401, 400) and noted on stderr. Runs until "
            "interrupted (SIGINT or SIGTERM), then exits 0."
        ),
    )
    listen.add_argument(
        "--port", type=_port, required=True, help="port to listen on (0: any free one)"
    )
    listen.add_argument("--path", type=_route, default="/taskade", help="default: %(default)s")
    listen.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    listen.add_argument(
        "--forward-to",
        metavar="URL",
        type=_http_url,
        help=(
            "after verifying, POST each delivery's exact bytes and signature to URL (the bot "
            "under development) and answer with the bot's status"
        ),
    )
    listen.set_defaults(handler=_listen)


def add_trigger_command(commands: Subparsers) -> None:
    """Add ``trigger`` to the top-level subparsers."""
    trigger = commands.add_parser(
        "trigger",
        help="start an automation through its inbound webhook URL",
        description=(
            "POST a JSON object to an automation's webhook trigger URL; each top-level "
            "key becomes a variable of the flow. The URL is a credential: prefer "
            "--url-env over the command line, which other local users can see. The "
            "automation's own bearer secret, if it needs one, is only read from an "
            "environment variable (--bearer-env). Exit status: 0 triggered, 1 refused "
            "by Taskade, 2 usage or network error."
        ),
    )
    where = trigger.add_mutually_exclusive_group(required=True)
    where.add_argument("url", nargs="?", metavar="URL", help="the automation's webhook URL")
    where.add_argument("--url-env", metavar="VAR", help="read the URL from this variable")
    trigger.add_argument(
        "--data", required=True, metavar="JSON", help='the payload, e.g. \'{"name": "Ann"}\''
    )
    trigger.add_argument(
        "--bearer-env", metavar="VAR", help="send the bearer secret held in this variable"
    )
    trigger.set_defaults(handler=_trigger)


def _fail(command: str, message: str) -> int:
    return common.fail(f"taskade-async {command}", message)


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


# -- listen ------------------------------------------------------------------------


def _listen(args: argparse.Namespace) -> int:
    raw = _env(SECRET_ENV)
    keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
    if not keys:
        return _fail("webhooks listen", f"set {SECRET_ENV} to the webhook's signing secret")
    try:
        asyncio.run(_serve(args.host, args.port, args.path, keys, args.forward_to))
    except KeyboardInterrupt:  # before the handlers were set: still a clean stop
        return EXIT_OK
    except OSError as exc:
        return _fail("webhooks listen", f"cannot listen on {args.host}:{args.port}: {exc}")
    return EXIT_OK


async def _print_event(event: Event) -> None:
    line = json.dumps({"event": event.name, "data": event.raw}, ensure_ascii=False)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _forwarder(keys: list[str], target: str, http: Any) -> Any:
    """A handler that verifies a delivery, then POSTs its exact bytes and signature to ``target``.

    The answer is the bot's own status and body (so a failing bot makes the
    sender try again); 502 if the bot cannot be reached.
    """
    from aiohttp import ClientError, web

    from taskade_async import events
    from taskade_async.events._handler import DEFAULT_MAX_BODY, _read

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await _read(request, DEFAULT_MAX_BODY)
        if body is None:
            return web.Response(status=413, text="body too large")
        signature = request.headers.get(events.SIGNATURE_HEADER)
        if not events.verify(keys, body, signature):
            return web.Response(status=401, text=f"missing or bad {events.SIGNATURE_HEADER}")
        try:
            event = events.parse(body)
        except events.PayloadError as exc:
            return web.Response(status=400, text=str(exc))
        assert signature is not None
        headers = {
            events.SIGNATURE_HEADER: signature,
            "Content-Type": request.headers.get("Content-Type", "application/json"),
        }
        try:
            async with http.post(target, data=body, headers=headers) as resp:
                answer, status = await resp.read(), resp.status
        except (ClientError, TimeoutError) as exc:
            print(f"could not forward to {target}: {type(exc).__name__}", file=sys.stderr)
            return web.Response(status=502, text="the bot could not be reached")
        await _print_event(event)
        print(f"forwarded {event.name} -> {status}", file=sys.stderr, flush=True)
        return web.Response(status=status, body=answer)

    return forward


async def _serve(
    host: str, port: int, path: str, keys: list[str], forward_to: str | None = None
) -> None:
    import aiohttp
    from aiohttp import web

    from taskade_async import events

    @web.middleware
    async def note_refusals(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if response.status >= 400:
            reason = response.text if isinstance(response, web.Response) else None
            print(
                f"refused {request.method} {request.path}: {response.status} {reason or ''}",
                file=sys.stderr,
                flush=True,
            )
        return response

    app = web.Application(middlewares=[note_refusals])
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600))
    if forward_to is None:
        app.router.add_post(path, events.handler(_print_event, secret=keys))
    else:
        app.router.add_post(path, _forwarder(keys, forward_to, http))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    try:
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bound_host, bound_port = runner.addresses[0][:2]
        # Printed once the signals are handled: a caller may stop us as soon as it reads this.
        print(f"listening on http://{bound_host}:{bound_port}{path}", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        await http.close()


# -- trigger -----------------------------------------------------------------------


def _trigger(args: argparse.Namespace) -> int:
    url = args.url if args.url_env is None else _env(args.url_env)
    if not url:
        return _fail("trigger", f"${args.url_env} is not set")
    bearer = None
    if args.bearer_env is not None:
        bearer = _env(args.bearer_env)
        if bearer is None:
            return _fail("trigger", f"${args.bearer_env} is not set")
    try:
        payload = json.loads(args.data)
    except ValueError as exc:
        return _fail("trigger", f"--data is not JSON: {exc}")
    try:
        shown = asyncio.run(_post(url, payload, bearer))
    except APIError as exc:
        print(f"taskade-async trigger: refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except TaskadeError as exc:
        return _fail("trigger", str(exc))
    print(f"triggered {shown}", file=sys.stderr)
    return EXIT_OK


async def _post(url: str, payload: Any, bearer: str | None) -> str:
    from taskade_async import Session, trigger_automation
    from taskade_async._trigger import redact_url

    # A trigger never sends the account token: the session needs none (a placeholder).
    async with Session(token="unused-by-trigger") as session:
        await trigger_automation(session, url, payload, bearer=bearer)
    return redact_url(url)
