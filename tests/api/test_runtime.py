"""The generated layer depends on one runtime module, and hand-written code on it, not back."""

from __future__ import annotations

import ast
from pathlib import Path

import taskade_async._runtime as runtime

PACKAGE = Path(__file__).resolve().parents[2] / "taskade_async"
GENERATED = sorted([*(PACKAGE / "api").glob("*.py"), *(PACKAGE / "models").glob("*.py")])
#: What a generated module may import from the package: the runtime and generated siblings.
RUNTIME = "taskade_async._runtime"
ALLOWED = {RUNTIME, "taskade_async.models", "taskade_async.api"}


def _package_imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every import of ``taskade_async`` in a file, relative ones too."""
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.startswith("taskade_async")]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = "taskade_async." + path.parent.name + ("." + module if module else "")
            if module.startswith("taskade_async"):
                found.append((module, [a.name for a in node.names]))
    return found


def test_generated_modules_import_only_the_runtime_and_each_other() -> None:
    """No file of api/ or models/ imports any part of the package but _runtime and models/api."""
    assert len(GENERATED) >= 10
    bad = [
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in GENERATED
        for module, _ in _package_imports(path)
        if module not in ALLOWED and module.rsplit(".", 1)[0] not in ALLOWED - {RUNTIME}
    ]
    assert bad == []


def test_every_runtime_name_the_generated_code_uses_is_exported() -> None:
    """Each name imported from _runtime is in its ``__all__`` (the interface is explicit)."""
    used = {
        name
        for path in GENERATED
        for module, names in _package_imports(path)
        if module == RUNTIME
        for name in names
    }
    assert used
    assert used <= set(runtime.__all__)


def test_hand_written_helpers_are_not_imported_by_generated_code() -> None:
    """bulk.create_tasks is reached from taskade_async.bulk only; api.tasks has no alias for it."""
    from taskade_async.api import tasks
    from taskade_async.bulk import create_tasks

    assert "create_many" not in tasks.__all__
    assert not any(value is create_tasks for value in vars(tasks).values())
