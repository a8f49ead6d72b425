"""Sphinx configuration: ``nox -s docs`` builds with ``-W --keep-going -n``."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

import _inventories  # noqa: E402  (docs/, put on the path just above)

import taskade_async  # noqa: E402

project = "taskade_async"
author = "taskade_async developers"
project_copyright = "taskade_async developers"
release = taskade_async.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]
root_doc = "index"
exclude_patterns = ["_build", "_generated"]
nitpicky = True
default_role = "py:obj"
# Names in signatures that are deliberately not public (no page to link to).
nitpick_ignore = [
    ("py:class", "Decode"),  # a pager's item decoder, supplied by generated code
    ("py:class", "T"),
    ("py:obj", "taskade_async._pagination.T"),
    ("py:class", "taskade_async._pagination.T"),
    ("py:class", "TaskSpec"),  # FakeTaskade's outline items: a text or (text, children)
    ("py:class", "taskade_async.testing._builders.Builders"),  # FakeTaskade's mixin
    ("py:class", "taskade_async.testing._tree.TaskTree"),
    ("py:class", "taskade_async.testing._bots.BotBuilders"),  # FakeTaskade's mixin (events)
    ("py:class", "taskade_async.events._models._ProjectEvent"),  # the project events' fields
    ("py:class", "_pytest.config.Config"),  # the pytest plugin's hook and fixtures
    ("py:class", "_pytest.fixtures.FixtureRequest"),
    # dlt publishes no Sphinx inventory: its classes are named, not linked
    ("py:class", "dlt.Pipeline"),
    ("py:class", "dlt.common.pipeline.LoadInfo"),
    ("py:class", "dlt.extract.source.DltSource"),
]

html_theme = "furo"
html_title = f"taskade_async {release}"
html_static_path = ["_static"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# -- intersphinx, offline ------------------------------------------------------------
# No internet at build time: the inventories are written here from _inventories.py
# (only the objects we link to). TASKADE_DOCS_INTERSPHINX=online tries the published
# ones first; a failure to reach them is then only an info message, never a warning.
_local = _inventories.write(HERE / "_build" / "intersphinx")
_online = os.environ.get("TASKADE_DOCS_INTERSPHINX") == "online"
intersphinx_mapping = {
    name: (root, (None, str(_local[name])) if _online else str(_local[name]))
    for name, (root, _, _) in _inventories.INVENTORIES.items()
}
intersphinx_timeout = 5


def _public_name(obj: Any) -> str | None:
    """The name to link a class by: where it is documented, not where it is defined.

    Ours by their defining module (autodoc records that as the canonical name);
    another package's by its top-level name when the package exports it there
    (``aiohttp.client.ClientSession`` is documented as ``aiohttp.ClientSession``).
    """
    home = getattr(obj, "__module__", None)
    if not isinstance(obj, type) or not home:
        return None
    top = home.partition(".")[0]
    if top == "taskade_async":
        return f"{home}.{obj.__qualname__}"
    for public in (top, f"{top}.web"):  # aiohttp.web_request.Request is aiohttp.web.Request
        if getattr(sys.modules.get(public), obj.__name__, None) is obj:
            return f"{public}.{obj.__name__}"
    return None


def _lookup(module: str, target: str) -> Any:
    """The object ``target`` names, seen from ``module`` (None if it names nothing)."""
    head, _, attr = target.rpartition(".")
    try:
        if head:
            return getattr(importlib.import_module(head), attr, None)
        found = getattr(importlib.import_module(module), target, None)
    except ImportError:
        return None
    if found is None:
        # Written in a module other than the page's (a re-exported class's methods):
        # any of our modules will do, as long as the name means one thing in all.
        seen = {
            id(obj): obj
            for name, mod in list(sys.modules.items())
            if name.startswith("taskade_async") and (obj := getattr(mod, target, None)) is not None
        }
        found = next(iter(seen.values())) if len(seen) == 1 else None
    return found


def _qualify(app: Any, doctree: Any) -> None:
    """Point each class reference in a signature at the page that documents the class.

    With ``from __future__ import annotations``, an annotation that autodoc cannot
    evaluate stays a bare string such as ``Task``; Sphinx then searches every
    documented ``*.Task`` and may find several (``models.Task``, ``testing.Task``).
    The module's own import says which one it is. Names of other packages are
    written where that package documents them.
    """
    from sphinx import addnodes

    for node in doctree.findall(addnodes.pending_xref):
        target = node.get("reftarget", "")
        module = node.get("py:module")
        if node.get("refdomain") != "py" or not module or not target:
            continue
        name = _public_name(_lookup(module, target))
        if name is not None and (name.partition(".")[0] != "taskade_async" or "." not in target):
            node["reftarget"] = name


def public_modules() -> list[str]:
    """Every module of the package without a private (``_``) part in its name."""
    import pkgutil

    found = ["taskade_async"]
    for info in pkgutil.walk_packages(taskade_async.__path__, "taskade_async."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            found.append(info.name)
    return sorted(found)


def _check_coverage(app: Any, env: Any) -> None:
    """Warn (an error with -W) for a public module without a page or an undocumented name."""
    from sphinx.util import logging

    log = logging.getLogger("taskade_async.docs")
    domain = env.get_domain("py")
    for module in public_modules():
        if module not in domain.modules:
            log.warning("public module %s has no page (add docs/reference/%s.rst)", module, module)
            continue
        for name in getattr(importlib.import_module(module), "__all__", ()):
            if name != "__version__" and f"{module}.{name}" not in domain.objects:
                log.warning("%s.%s is public but not in the reference", module, name)


def _public_bases(app: Any, name: str, obj: Any, options: Any, bases: list[type]) -> None:
    """Leave out the private ``async with`` mixin: it is not API (the methods it gives are)."""
    from taskade_async._closing import Closing

    bases[:] = [b for b in bases if b is not Closing] or [object]


def setup(app: Any) -> None:
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("doctree-read", _qualify)
    app.connect("env-check-consistency", _check_coverage)
