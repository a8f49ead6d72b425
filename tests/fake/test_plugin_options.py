"""The pytest plugin: options by mark, and pytest-asyncio's strict and auto modes or none."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import taskade_async as tk
from taskade_async.api import workspaces
from taskade_async.testing import FakeTaskade, pytest_plugin
from taskade_async.testing._faultspec import parse_faults

FAST = tk.RetryPolicy(max_attempts=30, base_backoff=0.001, max_backoff=0.002)


@pytest.mark.taskade(faults="503:0.5,reset:0.1,seed:3", retry=FAST)
async def test_faults_and_retry_from_the_mark(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """faults= deals random faults; retry= gives the session a policy that does not sleep."""
    taskade_fake.add_workspace("W")
    for _ in range(5):
        assert [w.name async for w in workspaces.list(taskade_session)] == ["W"]
    assert taskade_session.retry is FAST
    assert taskade_session.stats.retries > 0


@pytest.mark.taskade(rate_limit=(1, 1), retry=tk.RetryPolicy(max_attempts=1))
async def test_rate_limit_from_the_mark(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """rate_limit=(rps, burst) limits the fake: the second quick request is refused (429)."""
    await workspaces.list(taskade_session).collect()
    with pytest.raises(tk.RateLimitError):
        await workspaces.list(taskade_session).collect()
    assert taskade_fake.rate_limited == 1


@pytest.mark.taskade(demo=True, latency=0.001, session={"deadline": 42})
async def test_demo_latency_and_session_arguments(
    taskade_fake: FakeTaskade, taskade_session: tk.Session
) -> None:
    """demo= loads the demo account, latency= slows answers, session= passes Session arguments."""
    assert len(taskade_fake.projects) > 0
    assert taskade_fake.latency == 0.001
    assert taskade_session._deadline == 42
    assert taskade_session._trust_env is False  # loopback: never through a proxy


def test_unknown_options_are_usage_errors() -> None:
    """A misspelt option, a positional argument or bad faults fail the test set-up clearly."""

    def request(mark: pytest.MarkDecorator) -> pytest.FixtureRequest:
        node = types.SimpleNamespace(get_closest_marker=lambda name: mark.mark)
        return types.SimpleNamespace(node=node)  # type: ignore[return-value]

    with pytest.raises(pytest.UsageError, match="unknown"):
        pytest_plugin._options(request(pytest.mark.taskade(retries=3)))
    with pytest.raises(pytest.UsageError, match="keyword arguments only"):
        pytest_plugin._options(request(pytest.mark.taskade(True)))
    with pytest.raises(pytest.UsageError, match="RetryPolicy"):
        pytest_plugin._session_arguments({"retry": 3})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "reset:0.02,503:0.03,429:0.01",
            {"reset_after": 0.02, "unavailable": 0.03, "rate_limited": 0.01},
        ),
        ("seed:7, slow:0.5, slow_seconds:0.01", {"seed": 7, "slow": 0.5, "slow_seconds": 0.01}),
        (
            {"503": 0.1, "path": "/api/v1/projects/*"},
            {"unavailable": 0.1, "path": "/api/v1/projects/*"},
        ),
        ("", {}),
    ],
)
def test_fault_text(spec: str, expected: dict[str, object]) -> None:
    """The faults text names RandomFaults' arguments by short or long name."""
    assert parse_faults(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("502:0.1", "unknown name"),
        ("503", "name:value"),
        ("503:2", "rate from 0 to 1"),
        ("503:x", "must be a number"),
        ("seed:x", "seed must be an int"),
        ("503:0.1,503:0.2", "twice"),
    ],
)
def test_bad_fault_text(spec: str, message: str) -> None:
    """A wrong name, a missing value, a rate over 1 or a repeat is a ValueError saying so."""
    with pytest.raises(ValueError, match=message):
        parse_faults(spec)


USER_TESTS = """
import pytest
import taskade_async as tk
from taskade_async.api import workspaces

FAST = tk.RetryPolicy(max_attempts=10, base_backoff=0.001, max_backoff=0.002)

@pytest.mark.asyncio
@pytest.mark.taskade(faults="503:0.3,seed:1", retry=FAST)
async def test_marked(taskade_fake, taskade_session):
    taskade_fake.add_workspace("W")
    assert [w.name async for w in workspaces.list(taskade_session)] == ["W"]
"""


def _pytest(tmp_path: Path, *args: str, conftest: str = "") -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        conftest + 'pytest_plugins = ("taskade_async.testing.pytest_plugin",)\n', encoding="utf-8"
    )
    (tmp_path / "test_user.py").write_text(textwrap.dedent(USER_TESTS), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TASKADE_"))}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--strict-markers",
            *args,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_a_users_suite_runs_under_pytest_asyncio(tmp_path: Path, mode: str) -> None:
    """A user's marked test passes in pytest-asyncio's strict (its default) and auto modes."""
    done = _pytest(tmp_path, "-o", f"asyncio_mode={mode}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_the_plugin_loads_without_pytest_asyncio(tmp_path: Path) -> None:
    """Without pytest-asyncio the plugin loads and offers both fixtures (for other runners)."""
    hide = "import sys\nsys.modules['pytest_asyncio'] = None  # as if not installed\n"
    done = _pytest(tmp_path, "-p", "no:asyncio", "--fixtures", conftest=hide)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "taskade_fake" in done.stdout
    assert "taskade_session" in done.stdout
