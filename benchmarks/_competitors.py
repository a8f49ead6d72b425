"""The other clients a user chooses between, measured beside raw aiohttp and ours.

* ``httpx``: a hand-written ``httpx.AsyncClient`` loop decoding with
  ``Response.json()``, as a user of httpx writes it (dicts, no models).
* ``openapi-python-client``: a client generated from the same spec
  (``$TASKADE_OPENAPI``) at bench time into a temporary folder, never
  committed; its ``task_get`` and ``project_tasks_get`` build its own models.

Both come from PyPI in the bench environment only (``nox -s bench``), never as
a runtime or test dependency: when one is missing or cannot be generated,
:func:`competitors` says why and the others are still measured.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT.parent / "shared" / "taskade" / "openapi-v1.json"
GENERATED = "taskade_opc"  # the generated package's import name

Gets = Callable[[str, int, int], Awaitable[None]]
Count = Callable[[str], Awaitable[int]]
Bounded = Callable[[Callable[[int], Awaitable[None]], int, int], Awaitable[None]]


@dataclass(frozen=True)
class Competitor:
    """One other client: how it does the GETs of W1 and the stream of W3."""

    name: str
    gets: Gets  # (base, n, concurrency)
    count: Count  # (base) -> items seen


def spec_path() -> Path:
    """The v1 spec, from ``$TASKADE_OPENAPI`` as in the noxfile's ``_spec()``."""
    return Path(os.environ.get("TASKADE_OPENAPI", str(DEFAULT_SPEC)))


def _httpx(project: str, token: str, bounded: Bounded) -> Competitor:
    httpx: Any = importlib.import_module("httpx")
    headers = {"Authorization": f"Bearer {token}"}

    async def gets(base: str, n: int, concurrency: int) -> None:
        async with httpx.AsyncClient(headers=headers) as http:

            async def one(i: int) -> None:
                r = await http.get(f"{base}/projects/{project}/tasks/t{i:015d}")
                body = r.json()
                if r.status_code != 200 or not body["ok"]:
                    raise RuntimeError(body)

            await bounded(one, n, concurrency)

    async def count(base: str) -> int:
        n = 0
        async with httpx.AsyncClient(headers=headers) as http:
            after = None
            while True:
                params = {"limit": "1000"}
                if after:
                    params["after"] = after
                r = await http.get(f"{base}/projects/{project}/tasks", params=params)
                r.raise_for_status()
                items = r.json()["items"]
                for _ in items:
                    n += 1
                if len(items) < 1000:
                    return n
                after = items[-1]["id"]

    return Competitor("httpx (hand-written)", gets, count)


def generate(spec: Path, into: Path) -> list[str]:
    """Generate the client from ``spec`` as package ``GENERATED`` under ``into``.

    Returns the generator's warnings (endpoints it left out). The spec is used
    as it is: the generator skips what it cannot parse (ERRATA.md's defects
    touch agents and fields, not the two operations measured). Its post-hooks
    (ruff) are turned off by a config file: formatting is not measured.
    Raises ``RuntimeError`` with the generator's output when it fails.
    """
    exe = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    if exe is None:
        raise RuntimeError("openapi-python-client is not installed (nox -s bench installs it)")
    config = into / "opc-config.json"
    config.write_text(json.dumps({"post_hooks": []}), encoding="utf-8")
    proc = subprocess.run(
        [
            exe,
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(into / GENERATED),
        ],
        capture_output=True,
        text=True,
        cwd=into,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    if proc.returncode != 0 or not (into / GENERATED / "__init__.py").is_file():
        raise RuntimeError(f"generation failed (exit {proc.returncode}):\n{out[-2000:]}")
    return [line for line in out.splitlines() if line.startswith("WARNING parsing")]


def _generated(into: Path, project: str, token: str, bounded: Bounded) -> Competitor:
    if str(into) not in sys.path:
        sys.path.insert(0, str(into))
    client_mod: Any = importlib.import_module(f"{GENERATED}.client")
    task_get: Any = importlib.import_module(f"{GENERATED}.api.task.task_get")
    tasks_get: Any = importlib.import_module(f"{GENERATED}.api.project.project_tasks_get")

    def client(base: str) -> Any:
        return client_mod.AuthenticatedClient(base_url=base, token=token)

    async def gets(base: str, n: int, concurrency: int) -> None:
        async with client(base) as c:

            async def one(i: int) -> None:
                got = await task_get.asyncio(project, f"t{i:015d}", client=c)
                if got is None or not hasattr(got, "item"):
                    raise RuntimeError(got)

            await bounded(one, n, concurrency)

    async def count(base: str) -> int:
        n = 0
        async with client(base) as c:
            after: Any = None
            while True:
                kw = {"after": after} if after else {}
                # the spec types limit as a number: an int is sent as "1000"
                page = await tasks_get.asyncio(project, client=c, limit=1000, **kw)
                items = getattr(page, "items", None)
                if items is None:
                    raise RuntimeError(page)
                for _ in items:
                    n += 1
                if len(items) < 1000:
                    return n
                after = items[-1].id

    return Competitor("openapi-python-client (generated)", gets, count)


def competitors(
    project: str, token: str, bounded: Bounded, workdir: Path
) -> tuple[list[Competitor], list[str]]:
    """The competitors that can run, and a line for each one that cannot (or its warnings)."""
    found: list[Competitor] = []
    notes: list[str] = []
    try:
        found.append(_httpx(project, token, bounded))
    except ImportError as e:
        notes.append(f"httpx (hand-written): not measured, {e} (nox -s bench installs it)")
    spec = spec_path()
    try:
        if not spec.is_file():
            raise RuntimeError(f"no spec at {spec} (set TASKADE_OPENAPI)")
        warnings = generate(spec, workdir)
        found.append(_generated(workdir, project, token, bounded))
        if warnings:
            notes.append(
                f"openapi-python-client: generated from {spec.name} with "
                f"{len(warnings)} endpoints left out (spec defects, none measured here)"
            )
    except Exception as e:  # any failure of a competitor must not stop the bench
        notes.append(f"openapi-python-client (generated): not measured, {e}")
    return found, notes
