"""examples/bot.py, loaded as a module (it is a script, not part of the package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

BOT = Path(__file__).resolve().parents[2] / "examples" / "bot.py"


def load_bot() -> ModuleType:
    """A fresh module object of examples/bot.py, its top level run."""
    spec = importlib.util.spec_from_file_location("taskade_example_bot", BOT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
