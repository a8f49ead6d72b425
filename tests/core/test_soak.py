"""The soak benchmark, small: its invariants hold under random faults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_small_soak_passes_every_invariant() -> None:
    """600 calls at 50 in flight with random faults: every invariant PASSes, exit status 0."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["--calls", "600", "--concurrency", "50", "--reset", "0.03", "--unavailable", "0.05"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_soak.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASS") == 6
    assert "FAIL" not in done.stdout
