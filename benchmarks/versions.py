"""One benchmark script, the package as it was at REV against the working tree, side by side.

``python benchmarks/versions.py --before REV bench_client.py [ARGS...]`` copies
the package at REV (``git archive``) into a temporary folder, then runs the
script ``--runs`` times for each version, alternating, so that noise on a
shared machine hits both. Each run records its figures in a file of its own;
printed per figure: the median of its ratio to raw aiohttp for each version,
and the change (after / before). The script itself is always today's, so
both versions are measured the same way. Run from the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tree(rev: str, into: Path) -> Path:
    """The package ``taskade_async`` as it was at ``rev``, under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "taskade_async"],
        check=True,
        capture_output=True,
    ).stdout
    tar = into / "tree.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(into / "tree", filter="data")
    return into / "tree"


def _run(script: str, args: list[str], path: Path, results: Path) -> dict[str, float]:
    """One run of ``script`` importing the package from ``path``: its ratios by figure."""
    env = {**os.environ, "PYTHONPATH": str(path), "TASKADE_BENCH_RESULTS": str(results)}
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    figures = json.loads(results.read_text(encoding="utf-8"))["figures"]
    return {key: f["ratio"] for key, f in figures.items() if f.get("ratio") is not None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the git revision to compare with")
    parser.add_argument("--runs", type=int, default=3, help="runs of each version")
    parser.add_argument("script", help="a benchmark script in benchmarks/, e.g. bench_client.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's own arguments")
    ns = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="taskade-versions-") as tmp:
        scratch = Path(tmp)
        versions = {"before": _tree(ns.before, scratch), "after": ROOT}
        ratios: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
        for n in range(ns.runs):
            for name, path in versions.items():
                results = scratch / f"{name}-{n}.json"
                for key, ratio in _run(ns.script, ns.args, path, results).items():
                    ratios[name].setdefault(key, []).append(ratio)
                print(f"run {n + 1}/{ns.runs} {name}: done", flush=True)

    print(f"{ns.script}: ratio to raw aiohttp, median of {ns.runs} runs per version")
    print(f"  {'figure':8} {'before ' + ns.before:>18} {'after (tree)':>14} {'change':>8}")
    for key in sorted(ratios["after"]):
        before = statistics.median(ratios["before"].get(key, [float("nan")]))
        after = statistics.median(ratios["after"][key])
        print(f"  {key:8} {before:18.3f} {after:14.3f} {after / before - 1:+8.1%}")


if __name__ == "__main__":
    main()
