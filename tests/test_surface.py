"""Every public module's ``__all__`` is exactly its public names (as httpx tests its own).

A module's public names are those its own top-level statements bind without a
leading underscore (``def``, ``class``, assignments) and, for a package, what
it imports from its own submodules (its re-exports). Imports a module merely
uses (``Any``, ``Session`` in a generated module) are not part of its surface.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import itertools
import pkgutil
import types

import pytest

import taskade_async
import taskade_async.api
from taskade_async._request import Operation
from taskade_async._validate import Rule

#: The modules the issue names; discovery must find at least these.
NAMED = {
    "taskade_async",
    "taskade_async.api",
    "taskade_async.events",
    "taskade_async.export",
    "taskade_async.models",
    "taskade_async.testing",
    *(
        f"taskade_async.api.{resource}"
        for resource in [
            "agents",
            "bundles",
            "folders",
            "me",
            "medias",
            "projects",
            "tasks",
            "webhooks",
            "workspaces",
        ]
    ),
}


def _spec_data(value: object) -> bool:
    """A generated module's spec data: an ``Operation`` or a tuple of argument ``Rule`` s.

    Public for hand-written helpers (``bulk`` reads ``tasks.TASK_CREATE_BODY``,
    pagers expose their ``operation``), but not part of ``import *``: a star
    import of a resource module gives its functions.
    """
    if isinstance(value, Operation):
        return True
    return isinstance(value, tuple) and bool(value) and all(isinstance(r, Rule) for r in value)


def _public_modules() -> list[str]:
    """Every module of the package without a private (``_``) part in its name."""
    found = ["taskade_async"]
    for info in pkgutil.walk_packages(taskade_async.__path__, "taskade_async."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


MODULES = _public_modules()


def _bound_names(target: ast.expr) -> set[str]:
    return {node.id for node in ast.walk(target) if isinstance(node, ast.Name)}


def _public_names(module: types.ModuleType) -> set[str]:
    """The names ``module`` defines, or as a package re-exports from its submodules."""
    is_package = hasattr(module, "__path__")
    names: set[str] = set()
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(*(_bound_names(target) for target in node.targets))
        elif isinstance(node, ast.AnnAssign):
            names.update(_bound_names(node.target))
        elif isinstance(node, ast.ImportFrom) and is_package:
            source = importlib.util.resolve_name(
                "." * node.level + (node.module or ""), module.__name__
            )
            if source.startswith(f"{module.__name__}."):
                names.update(alias.asname or alias.name for alias in node.names)
    return {
        name
        for name in names
        if not name.startswith("_")
        and not isinstance(getattr(module, name, None), types.ModuleType)
        and not (
            module.__name__.startswith("taskade_async.api.")
            and _spec_data(getattr(module, name, None))
        )
    }


def test_discovery_finds_the_named_modules() -> None:
    """The walk over the package finds every module the surface tests must cover."""
    assert set(MODULES) >= NAMED


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_every_public_name(name: str) -> None:
    """No public name of the module is missing from its ``__all__``."""
    module = importlib.import_module(name)
    missing = _public_names(module) - set(module.__all__)
    assert missing == set()


@pytest.mark.parametrize("name", MODULES)
def test_every_entry_of_all_exists(name: str) -> None:
    """Each ``__all__`` entry is an attribute of the module, listed once, and none is private."""
    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__))
    assert [entry for entry in module.__all__ if not hasattr(module, entry)] == []
    assert [e for e in module.__all__ if e.startswith("_") and e != "__version__"] == []


@pytest.mark.parametrize("name", MODULES)
def test_star_import_gives_exactly_all(name: str) -> None:
    """``from module import *`` binds exactly the names of ``__all__``."""
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)
    namespace.pop("__builtins__")
    assert set(namespace) == set(importlib.import_module(name).__all__)


def test_packages_never_give_one_name_two_meanings() -> None:
    """A name two public packages export is one object: the fake's records are not models."""
    packages = [name for name in MODULES if hasattr(importlib.import_module(name), "__path__")]
    clashes = []
    for first, second in itertools.combinations(packages, 2):
        a, b = importlib.import_module(first), importlib.import_module(second)
        for entry in set(a.__all__) & set(b.__all__):
            if getattr(a, entry) is not getattr(b, entry):
                clashes.append((first, second, entry))
    assert clashes == []


def test_generated_signatures_use_the_public_sentinel() -> None:
    """Generated functions default to the exported ``UNSET`` and annotate the exported ``Unset``."""
    optional = [
        parameter
        for function in taskade_async.api.OPERATIONS.values()
        for parameter in inspect.signature(function, eval_str=True).parameters.values()
        if parameter.default is taskade_async.UNSET
    ]
    assert optional
    assert [
        p for p in optional if taskade_async.Unset not in getattr(p.annotation, "__args__", ())
    ] == []
