"""The benchmarks' results file: each script records its figures, ``chart.py`` draws them.

``benchmarks/results/latest.json`` holds, per figure (``W1`` ...), our median
and raw aiohttp's, measured side by side in one run, their ratio, the target,
and where and how it was measured. A script run on its own replaces only its
own figures; ``nox -s bench`` starts a fresh file first (``--new``).
Run: ``python benchmarks/_results.py --new`` (or ``--show``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

#: ``$TASKADE_BENCH_RESULTS`` redirects it (``versions.py`` gives each run its own file).
RESULTS = Path(
    os.environ.get("TASKADE_BENCH_RESULTS")
    or Path(__file__).resolve().parent / "results" / "latest.json"
)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load": round(os.getloadavg()[0], 1),  # other work on the machine meanwhile
    }


def load(path: Path = RESULTS) -> dict[str, Any]:
    """The results file's content (an empty one if there is none yet)."""
    if path.is_file():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    return {"figures": {}}


def _save(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    part.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    part.replace(path)


def record(
    key: str,
    *,
    title: str,
    ours: float,
    raw: float,
    unit: str,
    better: Literal["lower", "higher"],
    target: float | None,
    detail: str = "",
    others: dict[str, float] | None = None,
    path: Path = RESULTS,
) -> None:
    """Add (or replace) figure ``key``: our median against raw aiohttp's, same run.

    ``better`` says which way the ratio ``ours / raw`` should go, ``target``
    the ratio the design asks for; ``others`` the medians of other clients
    (hand-written httpx ...) in the same rounds and unit. The command that ran
    is recorded with it.
    """
    data = load(path)
    data.setdefault("figures", {})[key] = {
        "title": title,
        "ours": ours,
        "raw": raw,
        "unit": unit,
        "ratio": ours / raw if raw else None,
        "better": better,
        "target": target,
        "detail": detail,
        "others": others or {},
        "command": shlex.join(["python", *_relative(sys.argv)]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    _save(data, path)


def _relative(argv: list[str]) -> list[str]:
    root = Path(__file__).resolve().parent.parent
    out = []
    for arg in argv:
        try:
            out.append(str(Path(arg).resolve().relative_to(root)) if Path(arg).exists() else arg)
        except ValueError:
            out.append(arg)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new", action="store_true", help="start an empty results file")
    parser.add_argument("--show", action="store_true", help="print the results file")
    args = parser.parse_args()
    if args.new:
        _save({"figures": {}}, RESULTS)
    if args.show:
        print(json.dumps(load(), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
