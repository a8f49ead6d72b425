"""Deterministic ids that look like Taskade's: 16 alphanumeric characters, UUIDs for tasks."""

from __future__ import annotations

import random
import string
import uuid
from typing import Final

__all__ = ["IdFactory"]

_ALPHABET: Final = string.ascii_letters + string.digits
_LENGTH: Final = 16


class IdFactory:
    """Makes unique ids from a seeded generator, so a seed gives the same ids."""

    __slots__ = ("_random", "_seen")

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._seen: set[str] = set()

    def new(self) -> str:
        """Return a fresh id, never one handed out before by this factory."""
        choices = self._random.choices
        seen = self._seen
        while True:
            value = "".join(choices(_ALPHABET, k=_LENGTH))
            if value not in seen:
                seen.add(value)
                return value

    def new_uuid(self) -> str:
        """A fresh UUID (version 4 in form, from the seeded generator), as task ids are."""
        seen = self._seen
        while True:
            value = str(uuid.UUID(int=self._random.getrandbits(128), version=4))
            if value not in seen:
                seen.add(value)
                return value

    def reseed(self, seed: int) -> None:
        """Continue from a new seed (ids stay unique against those already made)."""
        self._random = random.Random(seed)

    def reserve(self, value: str) -> None:
        """Mark an id given from outside as taken, so :meth:`new` never returns it."""
        self._seen.add(value)
