"""``taskade-async load`` into DuckDB against ``export`` + DuckDB ``read_json`` of the same data.

FakeTaskade serves the demo account (48 projects, 39,082 tasks) in its own
process. Each job runs as a user runs it, a child process in a fresh folder:

- load: ``taskade-async load`` (dlt, DuckDB file ``taskade.duckdb``);
- export + read_json: ``taskade-async export OUT``, then a Python child that
  creates one DuckDB table per file with ``read_json``.

Prints the medians of wall time, requests and peak RSS (of the largest child),
then the same against a fake limited to ``--limit`` requests/s (50 by
default), with the goodput (the requests the job needs, refused ones left
out, per second of the whole job, and of its network part for the export)
against that limit.
Run: ``python benchmarks/bench_load.py [--runs 3] [--limit 50]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from _results import record

TOKEN: Final = "tskdp_benchmark_load"
ROOT: Final = Path(__file__).resolve().parents[1]
READ_JSON: Final = """
import sys, duckdb
from pathlib import Path
out = Path(sys.argv[1])
with duckdb.connect(str(out / "taskade.duckdb")) as db:
    for path in sorted(out.glob("*.jsonl")):
        if path.stat().st_size:
            db.execute(f"create table {path.stem} as select * from read_json('{path}')")
"""


def _serve(limit: float | None) -> tuple[subprocess.Popen[str], str]:
    args = [sys.executable, "-m", "taskade_async.testing", "serve", "--demo", "--token", TOKEN]
    if limit is not None:
        args += ["--rate-limit", str(limit), "--burst", "5"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("TASKADE_BASE_URL="):
            return proc, line.split("=", 1)[1].strip()
    raise RuntimeError("the fake server did not start")


def _child(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, str]:
    """Run a child to its end: wall seconds, peak RSS in MB, stdout. Fails on exit status."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{args[2:4]} exited {proc.returncode}")
    return wall, usage.ru_maxrss // 1024, out


def _env(base_url: str, folder: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        TASKADE_TOKEN=TOKEN,
        TASKADE_BASE_URL=base_url,
        DLT_DATA_DIR=str(folder / "dlt"),
        RUNTIME__DLTHUB_TELEMETRY="false",
    )


def load_job(base_url: str) -> dict[str, float]:
    """One ``taskade-async load``: wall, requests, peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cmd = [sys.executable, "-m", "taskade_async", "load"]
        wall, rss, out = _child(cmd, folder, _env(base_url, folder))
        found = re.search(r"\((\d+) requests", out)
        assert found, out
        return {"wall": wall, "requests": int(found.group(1)), "rss": rss, "net": wall}


def export_job(base_url: str) -> dict[str, float]:
    """``taskade-async export`` then ``read_json`` into DuckDB: wall, requests, peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = _env(base_url, folder)
        cmd = [sys.executable, "-m", "taskade_async", "export", "out", "-q"]
        wall_export, rss_export, _ = _child(cmd, folder, env)
        read = [sys.executable, "-c", READ_JSON, str(folder / "out")]
        wall_read, rss_read, _ = _child(read, folder, env)
        manifest = (folder / "out" / "manifest.json").read_text()
        found = re.search(r'"requests": (\d+)', manifest)
        assert found
        return {
            "wall": wall_export + wall_read,
            "requests": int(found.group(1)),
            "rss": max(rss_export, rss_read),
            "net": wall_export,
        }


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def measure(limit: float | None, runs: int) -> dict[str, dict[str, float]]:
    """Both jobs, alternating, ``runs`` times each against one fake; their medians."""
    proc, base_url = _serve(limit)
    try:
        found: dict[str, list[dict[str, float]]] = {"load": [], "export": []}
        for _ in range(runs):
            found["load"].append(load_job(base_url))
            found["export"].append(export_job(base_url))
            if limit is not None:
                time.sleep(1.0)  # let the bucket refill between jobs
        return {name: _medians(results) for name, results in found.items()}
    finally:
        proc.terminate()
        proc.wait()


def _show(
    title: str,
    figures: dict[str, dict[str, float]],
    limit: float | None,
    useful: dict[str, float] | None = None,
) -> None:
    """Print the medians; with a limit, the goodput: ``useful`` requests (the job's
    requests without a limit, so not the refused ones) per second of the job."""
    print(title)
    for name, f in figures.items():
        line = (
            f"  {name:7} wall {f['wall']:6.2f} s  requests {f['requests']:5.0f}  "
            f"peak RSS {f['rss']:5.0f} MB"
        )
        if limit is not None and useful is not None:
            whole = useful[name] / f["wall"]
            net = useful[name] / f["net"]
            line += (
                f"  goodput {whole:5.1f}/s ({whole / limit:.2f}x the limit; "
                f"network part {net:5.1f}/s, {net / limit:.2f}x)"
            )
        print(line)
    ratio = figures["load"]["wall"] / figures["export"]["wall"]
    print(f"  load / (export + read_json): {ratio:.2f}x wall time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=50.0, help="requests/s of the limited fake")
    args = parser.parse_args()
    free = measure(None, args.runs)
    _show(f"No rate limit (medians of {args.runs}):", free, None)
    limited = measure(args.limit, args.runs)
    title = f"Fake limited to {args.limit:g} requests/s (medians of {args.runs}):"
    useful = {name: f["requests"] for name, f in free.items()}
    _show(title, limited, args.limit, useful)
    detail: dict[str, Any] = {"free": free, "limited": limited, "limit": args.limit}
    record(
        "L1",
        title="load into DuckDB vs export + read_json (demo, wall s)",
        ours=free["load"]["wall"],
        raw=free["export"]["wall"],
        unit="s",
        better="lower",
        target=None,
        detail=str(detail),
    )
    record(
        "L2",
        title=f"goodput at a {args.limit:g} req/s limit: load vs export + read_json",
        ours=useful["load"] / limited["load"]["wall"],
        raw=useful["export"] / limited["export"]["wall"],
        unit="req/s",
        better="higher",
        target=None,
        detail=str(detail),
    )


if __name__ == "__main__":
    main()
