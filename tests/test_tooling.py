"""The project's own test configuration works when a test fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_failing_property_test_is_reported_not_an_internal_error(tmp_path: Path) -> None:
    """Under the suite's warnings-as-errors, hypothesis can still report a falsifying example."""
    (tmp_path / "test_prop.py").write_text(
        "from hypothesis import given, strategies as st\n\n"
        "@given(st.integers())\n"
        "def test_small(x):\n"
        "    assert x < 10\n"
    )
    # A fresh run, not a worker of this one (PYTEST_XDIST_WORKER, PYTEST_CURRENT_TEST, ...).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    config = ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *config, "test_prop.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # 1: tests failed; 3: internal error
    assert "INTERNALERROR" not in done.stdout + done.stderr
    assert "x=10" in done.stdout  # the shrunk example is shown
