"""Generates ``taskade_async.models`` and ``taskade_async.api``: ``python -m codegen``."""

#: Bumped when a change to the generator changes its output; recorded in spec.lock.json.
GENERATOR_VERSION = "3"
#: The formatter the output is byte-stable with (``ruff --version``), pinned exactly.
FORMATTER = "ruff 0.17.6"
