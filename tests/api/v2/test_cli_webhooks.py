"""``taskade-async webhooks create|list|get|delete`` against the fake, JSON lines out."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from taskade_async._cli_webhooks import run_async
from taskade_async.cli import build_parser
from taskade_async.testing import FakeTaskade
from tests._cli import run

from .conftest import Receiver


async def _cli(*argv: str) -> tuple[int, list[Any]]:
    """Parse ``argv`` as the command line does and run it in this loop; (status, lines)."""
    args = build_parser().parse_args(["webhooks", *argv])
    out = io.StringIO()
    code = await run_async(args, out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def env(taskade_fake: FakeTaskade, monkeypatch: pytest.MonkeyPatch) -> None:
    """TASKADE_TOKEN and TASKADE_BASE_URL point at the fake."""
    monkeypatch.setenv("TASKADE_TOKEN", taskade_fake.token)
    monkeypatch.setenv("TASKADE_BASE_URL", str(taskade_fake.base_url))


@pytest.mark.usefixtures("env")
async def test_create_list_get_delete_print_json_lines(
    taskade_fake: FakeTaskade, receiver: Receiver
) -> None:
    """Each action prints JSON lines; create shows the secret, the others never do."""
    ws = taskade_fake.add_workspace("W")
    url = receiver.url("/t?a=1")
    code, [made] = await _cli(
        "create", url, "--event", "task.assigned", "--event", "task.due", "--space", ws.id
    )
    assert code == 0
    assert made["secret"] == taskade_fake.webhooks[0].secret
    assert made["webhook"]["id"] == url
    assert made["webhook"]["events"] == ["task.assigned", "task.due"]
    assert made["webhook"]["spaceIds"] == [ws.id]
    code, listed = await _cli("list")
    assert (code, listed) == (0, [made["webhook"]])
    code, [got] = await _cli("get", url)
    assert (code, got) == (0, made["webhook"])
    assert await _cli("delete", url) == (0, [{"id": url, "deleted": True}])
    assert await _cli("delete", url) == (0, [{"id": url, "deleted": False}])
    assert await _cli("list") == (0, [])


@pytest.mark.usefixtures("env")
async def test_errors_exit_2_with_a_message(
    taskade_fake: FakeTaskade, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad event, a plain-http URL or an unknown id exits 2 and says why on stderr."""
    assert await _cli("create", "https://x.example/h", "--event", "task.nope") == (2, [])
    assert "task.nope" in capsys.readouterr().err
    assert await _cli("create", "http://x.example/h", "--event", "task.due") == (2, [])
    assert "https" in capsys.readouterr().err
    assert await _cli("get", "https://x.example/none") == (2, [])
    assert "not found" in capsys.readouterr().err
    assert [r.operation_id for r in taskade_fake.requests] == ["getWebhook"]


async def test_no_token_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --token or TASKADE_TOKEN the command says so and sends nothing."""
    monkeypatch.delenv("TASKADE_TOKEN", raising=False)
    assert await _cli("list") == (2, [])
    assert "TASKADE_TOKEN" in capsys.readouterr().err


async def test_the_installed_command_runs_webhooks_list(taskade_fake: FakeTaskade) -> None:
    """``python -m taskade_async webhooks list`` runs through cli.main, env vars included."""
    taskade_fake.add_webhook("http://127.0.0.1:9/a", ["project.joined"])
    result = await run(
        "webhooks",
        "list",
        TASKADE_TOKEN=taskade_fake.token,
        TASKADE_BASE_URL=str(taskade_fake.base_url),
    )
    assert result.code == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert json.loads(line)["id"] == "http://127.0.0.1:9/a"
    assert taskade_fake.webhooks[0].secret not in result.stdout


@pytest.mark.usefixtures("env")
async def test_create_again_is_refused_unless_replace(
    taskade_fake: FakeTaskade, receiver: Receiver
) -> None:
    """A second create of a URL exits 2 (409); --replace registers again with a new secret."""
    url = receiver.url("/bot")
    code, [first] = await _cli("create", url, "--event", "task.due")
    assert code == 0
    assert (await _cli("create", url, "--event", "task.due"))[0] == 2
    code, [again] = await _cli("create", url, "--event", "task.due", "--replace")
    assert code == 0
    assert again["secret"] != first["secret"]
    assert [h.secret for h in taskade_fake.webhooks] == [again["secret"]]
