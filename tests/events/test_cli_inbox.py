"""``webhooks send-test``, ``listen --forward-to`` and ``webhooks inbox``, as subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import attrs
import pytest
from aiohttp import web
from yarl import URL

from taskade_async import events
from taskade_async.events._samples import SAMPLES
from tests._cli import Result, run, start
from tests.events._serve import serve

SECRET = "whsec-cli"
TIMEOUT = 60


@attrs.define
class Seen:
    """What the bot app received, raw."""

    bodies: list[bytes] = attrs.field(factory=list)
    signatures: list[str | None] = attrs.field(factory=list)
    status: int = 204


@contextlib.asynccontextmanager
async def raw_bot() -> AsyncIterator[tuple[URL, Seen]]:
    """A bot that records each request's exact bytes and signature and answers ``status``."""
    seen = Seen()

    async def receive(request: web.Request) -> web.Response:
        seen.bodies.append(await request.read())
        seen.signatures.append(request.headers.get(events.SIGNATURE_HEADER))
        return web.Response(status=seen.status, text="from the bot")

    app = web.Application()
    app.router.add_post("/bot", receive)
    async with serve(app) as root:
        yield root / "bot", seen


def test_every_sample_parses_as_its_event() -> None:
    """Each of the six samples is recognised as the event it stands for."""
    assert sorted(SAMPLES) == sorted(e.name for e in events.EVENTS)
    for name, payload in SAMPLES.items():
        assert events.parse(json.dumps(payload).encode()).name == name


@pytest.mark.parametrize("event", ["task.assigned", "comment.created", "project.joined"])
async def test_send_test_posts_a_signed_sample(event: str) -> None:
    """send-test URL --event E posts E's sample signed with the first secret; exit 0 on 2xx."""
    got: list[events.Event] = []

    async def on_event(e: events.Event) -> None:
        got.append(e)

    app = web.Application()
    app.router.add_post("/taskade", events.handler(on_event, secret="old"))
    async with serve(app) as root:
        result = await run(
            "webhooks", "send-test", str(root / "taskade"), "--event", event,
            limit=TIMEOUT, TASKADE_WEBHOOK_SECRET="old,new",
        )  # fmt: skip
    assert result.code == 0, result.stderr
    assert [e.name for e in got] == [event]
    assert f"{event} -> 204" in result.stderr


async def test_send_test_exit_statuses() -> None:
    """A refusal (401) exits 1, no secret or no server exits 2; --data overrides fields."""
    async with raw_bot() as (url, seen):
        seen.status = 401
        refused = await run(
            "webhooks", "send-test", str(url), "--event", "task.due", "--data", '{"text": "X"}',
            limit=TIMEOUT, TASKADE_WEBHOOK_SECRET="s",
        )  # fmt: skip
        no_secret = await run("webhooks", "send-test", str(url), "--event", "task.due")
    assert refused.code == 1
    assert "task.due -> 401 from the bot" in refused.stderr
    assert json.loads(seen.bodies[0])["text"] == "X"
    assert seen.signatures == [events.sign("s", seen.bodies[0])]
    assert no_secret.code == 2
    gone = await run(
        "webhooks", "send-test", str(url), "--event", "task.due",
        limit=TIMEOUT, TASKADE_WEBHOOK_SECRET="s",
    )  # fmt: skip
    assert gone.code == 2
    assert "could not POST" in gone.stderr


async def test_listen_forwards_exact_bytes_and_signature() -> None:
    """--forward-to: a verified delivery reaches the bot byte for byte with its signature, and
    the sender gets the bot's status; a forgery is 401 and never forwarded."""
    async with raw_bot() as (url, seen):
        proc = await start(
            "webhooks", "listen", "--port", "0", "--forward-to", str(url),
            TASKADE_WEBHOOK_SECRET=SECRET,
        )  # fmt: skip
        try:
            assert proc.stderr is not None
            ready = await asyncio.wait_for(proc.stderr.readline(), TIMEOUT)
            found = re.search(r"listening on (http://\S+)", ready.decode())
            assert found, ready
            body = b'{"projectName": "P",  "projectId": "p1", "creatorName": "Ann"}'
            signature = events.sign(SECRET, body)
            async with aiohttp.ClientSession() as http:
                for status in (200, 500):
                    seen.status = status
                    headers = {events.SIGNATURE_HEADER: signature}
                    async with http.post(found.group(1), data=body, headers=headers) as resp:
                        assert (resp.status, await resp.text()) == (status, "from the bot")
                bad = {events.SIGNATURE_HEADER: events.sign("forged", body)}
                async with http.post(found.group(1), data=body, headers=bad) as resp:
                    assert resp.status == 401
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    assert proc.returncode == 0, err
    assert seen.bodies == [body, body]
    assert seen.signatures == [signature, signature]
    assert json.loads(out.decode().splitlines()[0])["event"] == "project.created"


async def _store_with_dead_letters(path: Path) -> list[str]:
    async with events.SQLiteStore(path) as store:
        keys = []
        for n in range(3):
            key = f"key{n}"
            await store.record(key, b"{}", 1000.0 + n)
            await store.claim("w", 2000.0, 10)
            await store.settle(key, "w", "dead", 2001.0, error="ValueError: bad")
            keys.append(key)
        await store.record("waiting", b"{}", 3000.0)
    return keys


async def _inbox(*args: str, **env: str) -> Result:
    return await run("webhooks", "inbox", *args, limit=TIMEOUT, **env)


async def test_inbox_list_replay_purge(tmp_path: Path) -> None:
    """list prints records as JSON lines; replay makes dead letters pending (exit 1 for a key
    that is not one); purge deletes old dead letters."""
    db = tmp_path / "bot.db"
    keys = await _store_with_dead_letters(db)
    listed = await _inbox("list", "--store", str(db))
    assert listed.code == 0, listed.stderr
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["key"], r["state"], r["attempts"]) for r in lines] == [
        ("key0", "dead", 1), ("key1", "dead", 1), ("key2", "dead", 1), ("waiting", "pending", 0)
    ]  # fmt: skip
    assert lines[0]["error"] == "ValueError: bad"
    assert lines[0]["received_at"] == "1970-01-01T00:16:40+00:00"
    replayed = await _inbox("replay", keys[0], "nope", TASKADE_INBOX_STORE=str(db))
    assert (replayed.code, replayed.stdout) == (1, '{"replayed": 1}\n')
    dead = await _inbox("list", "--state", "dead", "--store", str(db))
    assert [json.loads(line)["key"] for line in dead.stdout.splitlines()] == keys[1:]
    purged = await _inbox("purge", "--state", "dead", "--older-than", "1d", "--store", str(db))
    assert (purged.code, purged.stdout) == (0, '{"purged": 2}\n')
    everything = await _inbox("replay", "--all", "--store", str(db))
    assert (everything.code, everything.stdout) == (0, '{"replayed": 0}\n')


async def test_inbox_needs_an_existing_store(tmp_path: Path) -> None:
    """Without --store or $TASKADE_INBOX_STORE, or with a missing file: exit 2, nothing made."""
    assert (await _inbox("list")).code == 2
    missing = await _inbox("list", "--store", str(tmp_path / "none.db"))
    assert missing.code == 2
    assert "no such SQLite file" in missing.stderr
    assert not (tmp_path / "none.db").exists()
