"""Small intersphinx inventories for Python, aiohttp and yarl, written at build time.

The build has no internet, so intersphinx cannot fetch the projects' own
``objects.inv``. Instead, ``conf.py`` writes these inventories: only the
objects our docs and docstrings point to, at the addresses the projects'
documentation uses. The links in the built pages go to the real documentation.
A name that is missing here shows up as a warning in the nitpicky build (an
error with ``-W``): add it to the table below.

With ``TASKADE_DOCS_INTERSPHINX=online`` the build first tries the projects'
published inventories and falls back to these (useful to check them).
"""

from __future__ import annotations

import zlib
from pathlib import Path

#: intersphinx name -> (documentation root, version, {object: (role, page)}).
#: Each object's anchor is its full name (``module-<name>`` for a module), as Sphinx writes it.
INVENTORIES: dict[str, tuple[str, str, dict[str, tuple[str, str]]]] = {
    "python": (
        "https://docs.python.org/3/",
        "3.11",
        {
            # built-in types and exceptions
            "bool": ("class", "library/functions.html"),
            "bytes": ("class", "library/stdtypes.html"),
            "bytearray": ("class", "library/stdtypes.html"),
            "dict": ("class", "library/stdtypes.html"),
            "float": ("class", "library/functions.html"),
            "int": ("class", "library/functions.html"),
            "list": ("class", "library/stdtypes.html"),
            "memoryview": ("class", "library/stdtypes.html"),
            "object": ("class", "library/functions.html"),
            "str": ("class", "library/stdtypes.html"),
            "tuple": ("class", "library/stdtypes.html"),
            "Exception": ("exception", "library/exceptions.html"),
            "KeyError": ("exception", "library/exceptions.html"),
            "OSError": ("exception", "library/exceptions.html"),
            "TimeoutError": ("exception", "library/exceptions.html"),
            "ValueError": ("exception", "library/exceptions.html"),
            "KeyboardInterrupt": ("exception", "library/exceptions.html"),
            # asyncio
            "asyncio.CancelledError": ("exception", "library/asyncio-exceptions.html"),
            "asyncio.Task": ("class", "library/asyncio-task.html"),
            "asyncio.timeout": ("function", "library/asyncio-task.html"),
            "asyncio.run": ("function", "library/asyncio-runner.html"),
            # collections.abc
            "collections.abc.AsyncGenerator": ("class", "library/collections.abc.html"),
            "collections.abc.AsyncIterable": ("class", "library/collections.abc.html"),
            "collections.abc.AsyncIterator": ("class", "library/collections.abc.html"),
            "collections.abc.Awaitable": ("class", "library/collections.abc.html"),
            "collections.abc.Callable": ("class", "library/collections.abc.html"),
            "collections.abc.Iterable": ("class", "library/collections.abc.html"),
            "collections.abc.Mapping": ("class", "library/collections.abc.html"),
            "collections.abc.Sequence": ("class", "library/collections.abc.html"),
            # the rest of the standard library
            "argparse.ArgumentParser": ("class", "library/argparse.html"),
            "contextlib.aclosing": ("class", "library/contextlib.html"),
            "datetime.date": ("class", "library/datetime.html"),
            "datetime.datetime": ("class", "library/datetime.html"),
            "json": ("module", "library/json.html"),
            "enum.Enum": ("class", "library/enum.html"),
            "io.BufferedIOBase": ("class", "library/io.html"),
            "io.RawIOBase": ("class", "library/io.html"),
            "logging.Logger": ("class", "library/logging.html"),
            "os.PathLike": ("class", "library/os.html"),
            "pathlib.Path": ("class", "library/pathlib.html"),
            "typing.IO": ("class", "library/typing.html"),
        },
    ),
    "aiohttp": (
        "https://docs.aiohttp.org/en/stable/",
        "3",
        {
            "aiohttp.ClientSession": ("class", "client_reference.html"),
            "aiohttp.ClientResponse": ("class", "client_reference.html"),
            "aiohttp.ClientTimeout": ("class", "client_reference.html"),
            "aiohttp.TCPConnector": ("class", "client_reference.html"),
            "aiohttp.TraceConfig": ("class", "tracing_reference.html"),
            "aiohttp.web.Application": ("class", "web_reference.html"),
            "aiohttp.web.Request": ("class", "web_reference.html"),
            "aiohttp.web.Response": ("class", "web_reference.html"),
            "aiohttp.web.StreamResponse": ("class", "web_reference.html"),
        },
    ),
    "yarl": (
        "https://yarl.aio-libs.org/en/stable/",
        "1",
        {"yarl.URL": ("class", "api/")},
    ),
}


def _inventory(project: str, version: str, objects: dict[str, tuple[str, str]]) -> bytes:
    head = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    # Sphinx's anchors: the full name, or ``module-<name>`` for a module.
    lines = "".join(
        f"{name} py:{role} 1 {page}#{'module-' if role == 'module' else ''}$ -\n"
        for name, (role, page) in sorted(objects.items())
    )
    return head.encode() + zlib.compress(lines.encode())


def write(folder: Path) -> dict[str, Path]:
    """Write one ``<name>.inv`` per project into ``folder``; their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (_, version, objects) in INVENTORIES.items():
        path = folder / f"{name}.inv"
        data = _inventory(name, version, objects)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        paths[name] = path
    return paths
