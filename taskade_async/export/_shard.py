"""Shards: split an account between N processes, each with its own token, exactly once.

The choice is a pure function of ids (:func:`shard_of`), so processes that
discover the account each on their own agree on it: shard ``i`` of ``n``
takes a workspace (its folders, projects, agents and medias) when the
workspace's id hashes to ``i``; when the account has fewer workspaces than
shards, each project and each space's own unit (agents, medias) is placed on
its own, and so are the workspace and folder records. Projects that no
workspace lists (``me/projects`` only) are always placed by their own id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from taskade_async._errors import ValidationError
from taskade_async.export._records import Emit, OnError, Record, item_id
from taskade_async.export._units import Selection, Unit

if TYPE_CHECKING:
    from taskade_async._session import Session

__all__ = ["Shard", "check_shard", "choose", "discover_shard", "parse_shard", "shard_of"]

#: ``(i, n)``: the i-th of n shards, counted from 0.
Shard = tuple[int, int]
Discover = Callable[["Session", Selection, Emit, OnError], Awaitable[list[Unit]]]


def check_shard(shard: object) -> Shard | None:
    """``shard`` as ``(i, n)`` with ``0 <= i < n``, or None; else ValidationError."""
    if shard is None:
        return None
    if (
        not isinstance(shard, tuple | list)
        or len(shard) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in shard)
    ):
        raise ValidationError(f"shard must be a pair of ints (i, n), not {shard!r}")
    i, n = shard
    if n < 1 or not 0 <= i < n:
        raise ValidationError(f"shard (i, n) needs 0 <= i < n, not {shard!r}")
    return (i, n)


def parse_shard(text: str) -> Shard:
    """``"I/N"`` as ``(I, N)``; ValueError with the reason for anything else."""
    head, sep, tail = text.partition("/")
    try:
        if not sep:
            raise ValueError
        i, n = int(head), int(tail)
    except ValueError:
        raise ValueError(f"a shard is I/N (e.g. 0/4), not {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"a shard I/N needs 0 <= I < N, not {text!r}")
    return (i, n)


def shard_of(key: str, n: int) -> int:
    """The shard (0 to n-1) that ``key`` belongs to: the same in every process and run."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % n


def _workspace_ids(units: Sequence[Unit], records: Sequence[Record]) -> set[str]:
    found = {wid for unit in units if (wid := unit.parents.get("workspaceId")) is not None}
    found.update(
        wid for record in records if record.type == "workspaces" and (wid := item_id(record.data))
    )
    return found


def choose(
    units: Sequence[Unit], records: Sequence[Record], shard: Shard
) -> tuple[list[Unit], list[Record]]:
    """The units and discovery records (workspaces, folders) of ``shard``, in their order.

    Over ``i`` in ``0..n-1`` the results are disjoint and together hold every
    unit and record once.
    """
    i, n = shard
    by_workspace = len(_workspace_ids(units, records)) >= n

    def unit_key(unit: Unit) -> str:
        wid = unit.parents.get("workspaceId")
        return wid if by_workspace and wid is not None else unit.id

    def record_key(record: Record) -> str:
        if record.type == "folders" and by_workspace:
            wid = record.parents.get("workspaceId")
            if wid is not None:
                return wid
        rid = item_id(record.data)
        if rid is None:
            raise ValueError(f"a {record.type} record without an id cannot be placed in a shard")
        return rid

    mine_units = [unit for unit in units if shard_of(unit_key(unit), n) == i]
    mine_records = [record for record in records if shard_of(record_key(record), n) == i]
    return mine_units, mine_records


async def discover_shard(
    discover: Discover,
    session: Session,
    selection: Selection,
    emit: Emit,
    error: OnError,
    shard: Shard | None,
) -> list[Unit]:
    """``discover``, keeping only the units and records of ``shard`` (all of them for None)."""
    if shard is None:
        return await discover(session, selection, emit, error)
    held: list[Record] = []

    async def hold(records: list[Record]) -> None:
        held.extend(records)

    units = await discover(session, selection, hold, error)
    mine, records = choose(units, held, shard)
    await emit(records)
    return mine
