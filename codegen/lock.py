"""``codegen/spec.lock.json``: which specs (source, full SHA-256) and generator made the code.

Writing the code writes the lock; ``--check`` first compares the specs beside
the repo, the generator version and the formatter with it, and says which one
differs before any file is compared.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from . import FORMATTER, GENERATOR_VERSION

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "codegen" / "spec.lock.json"


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _source(source: str) -> str:
    """A local path relative to the repository (the same on every machine), or the URL."""
    if source.startswith(("http://", "https://")):
        return source
    return os.path.relpath(Path(source).resolve(), ROOT)


def formatter() -> str:
    """``ruff --version`` of the ruff on PATH (``ruff <version>``)."""
    ruff = shutil.which("ruff")
    if ruff is None:
        raise SystemExit("codegen: ruff is needed to format the output (pip install ruff)")
    out = subprocess.run([ruff, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def lock_text(specs: dict[str, tuple[str, bytes]]) -> str:
    """The lock for these specs (name -> (source, bytes)), as written to the file."""
    doc: dict[str, Any] = {
        "generator": GENERATOR_VERSION,
        "formatter": FORMATTER,
        "specs": {
            name: {"source": _source(source), "sha256": sha256(raw)}
            for name, (source, raw) in specs.items()
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def read_lock(path: Path = LOCK) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SystemExit(f"codegen: no {path.name}; run python -m codegen to write it") from None
    return doc


def problems(specs: dict[str, tuple[str, bytes]], lock: dict[str, Any]) -> list[str]:
    """What differs from the lock, one clear sentence each (empty: all as locked)."""
    out = []
    if lock.get("generator") != GENERATOR_VERSION:
        out.append(
            f"the generator is version {GENERATOR_VERSION}, the lock says "
            f"{lock.get('generator')}: regenerate and commit the lock"
        )
    installed = formatter()
    if installed != lock.get("formatter") or installed != FORMATTER:
        out.append(
            f"the formatter is {installed}, the lock says {lock.get('formatter')} "
            f"(the generator pins {FORMATTER}): pip install {FORMATTER.replace(' ', '==')}"
        )
    for name, (source, raw) in specs.items():
        locked = lock.get("specs", {}).get(name, {})
        digest = sha256(raw)
        if digest != locked.get("sha256"):
            out.append(
                f"the {name} spec {source} has sha256 {digest}, but {LOCK.name} records "
                f"{locked.get('sha256')} (from {locked.get('source')}): the spec changed; "
                "regenerate with python -m codegen, review the diff, commit the lock"
            )
    return out
