"""An import collector: emitters say what they use as they write it, never found by regex."""

from __future__ import annotations

MODELS = "taskade_async.models"
RUNTIME = "taskade_async._runtime"


class Imports:
    """The imports of one generated module, added to as its code is emitted."""

    def __init__(self, *, local_models: bool = False) -> None:
        #: The models module itself names its classes without importing them.
        self.local_models = local_models
        self._modules: set[str] = set()
        self._names: dict[str, set[str]] = {}

    def module(self, name: str) -> str:
        """``import name``; returns ``name`` for use in the emitted expression."""
        self._modules.add(name)
        return name

    def name(self, module: str, name: str) -> str:
        """``from module import name``; returns ``name``."""
        self._names.setdefault(module, set()).add(name)
        return name

    def runtime(self, name: str) -> str:
        """A name of the generated code's one runtime interface (``_runtime``)."""
        return self.name(RUNTIME, name)

    def model(self, name: str) -> str:
        """A generated model class, imported unless this is the models module."""
        return name if self.local_models else self.name(MODELS, name)

    def lines(self) -> list[str]:
        """The import statements (ruff's isort groups and orders them afterwards)."""
        out = [f"import {m}" for m in sorted(self._modules)]
        for module in sorted(self._names):
            out.append(f"from {module} import {', '.join(sorted(self._names[module]))}")
        return out
