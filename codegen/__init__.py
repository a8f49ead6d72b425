"""Generates ``taskade_async.models`` and ``taskade_async.api``: ``python -m codegen``."""
