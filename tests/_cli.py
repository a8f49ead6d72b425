"""Running ``python -m taskade_async`` as a user does, in a child process, for the CLI tests."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[1]
#: Variables the commands read: a test gives each one it means, none leaks in from outside.
_OURS = ("TASKADE_TOKEN", "TASKADE_BASE_URL", "TASKADE_WEBHOOK_SECRET")


@attrs.frozen
class Result:
    """What a finished command did."""

    code: int
    stdout: str
    stderr: str


def command_env(**extra: str) -> dict[str, str]:
    """This process's environment without our variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _OURS}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


async def start(
    *args: str, module: str = "taskade_async", **env: str
) -> asyncio.subprocess.Process:
    """Start ``taskade-async ARGS`` (``python -m MODULE ARGS``) with ``env`` added, its output
    piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=command_env(**env),
        cwd=ROOT,
    )


async def run(*args: str, limit: float = 60, **env: str) -> Result:
    """Run ``taskade-async ARGS`` to its end (at most ``limit`` seconds)."""
    proc = await start(*args, **env)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=limit)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())
