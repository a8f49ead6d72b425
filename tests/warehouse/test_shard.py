"""The shard choice (a pure function of ids): deterministic, disjoint, covering; no server."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskade_async._errors import ValidationError
from taskade_async.export._records import Record
from taskade_async.export._shard import check_shard, choose, parse_shard, shard_of
from taskade_async.export._units import Unit

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=4, max_size=12)


@st.composite
def accounts(draw: st.DrawFn) -> tuple[list[Unit], list[Record]]:
    """Workspaces with folders and projects, and unfiled projects, as discovery returns them."""
    units: list[Unit] = []
    records: list[Record] = []
    salt = draw(ids)  # ids differ from one example to the next, so do their hashes
    pool = (f"{salt}-{k}" for k in itertools.count())
    for _ in range(draw(st.integers(0, 6))):
        wid = next(pool)
        records.append(Record("workspaces", {}, {"id": wid}))
        spaces: list[tuple[str, str | None]] = [(wid, None)]
        for _ in range(draw(st.integers(0, 2))):
            folder = next(pool)
            records.append(Record("folders", {"workspaceId": wid}, {"id": folder}))
            spaces.append((folder, folder))
        for sid, fid in spaces:
            parents = {"workspaceId": wid, "folderId": fid}
            units.append(Unit(f"u{len(units)}", "folder", sid, parents))
            for _ in range(draw(st.integers(0, 2))):
                units.append(Unit(f"u{len(units)}", "project", next(pool), parents))
    for _ in range(draw(st.integers(0, 2))):
        unfiled = {"workspaceId": None, "folderId": None}
        units.append(Unit(f"u{len(units)}", "project", next(pool), unfiled))
    return units, records


@given(accounts(), st.integers(1, 7))
def test_shards_are_disjoint_and_cover_the_account(
    account: tuple[list[Unit], list[Record]], n: int
) -> None:
    """Over shards 0..n-1 every unit and record is chosen exactly once, in discovery order."""
    units, records = account
    chosen = [choose(units, records, (i, n)) for i in range(n)]
    all_units = [u for mine, _ in chosen for u in mine]
    all_records = [r for _, mine in chosen for r in mine]
    assert sorted(u.key for u in all_units) == sorted(u.key for u in units)
    assert len(all_records) == len(records)
    assert {id(r) for r in all_records} == {id(r) for r in records}
    for mine, _ in chosen:
        assert mine == [u for u in units if u in mine]


@given(accounts(), st.integers(1, 7))
def test_a_shard_keeps_each_workspace_whole_when_there_are_enough(
    account: tuple[list[Unit], list[Record]], n: int
) -> None:
    """With at least n workspaces, a workspace's record, folders and units share one shard."""
    units, records = account
    workspaces = [r.data["id"] for r in records if r.type == "workspaces"]
    owner: dict[str, int] = {}
    for i in range(n):
        mine, held = choose(units, records, (i, n))
        for unit in mine:
            wid = unit.parents["workspaceId"]
            if wid is not None and len(workspaces) >= n:
                assert owner.setdefault(wid, i) == i
        for record in held:
            wid = record.data["id"] if record.type == "workspaces" else None
            wid = wid or record.parents["workspaceId"]
            if wid is not None and len(workspaces) >= n:
                assert owner.setdefault(wid, i) == i


def test_fewer_workspaces_than_shards_splits_by_project() -> None:
    """One workspace of 40 projects over 4 shards: every shard gets some of its projects."""
    parents = {"workspaceId": "w1", "folderId": None}
    units = [Unit(f"u{k}", "project", f"project-{k}", parents) for k in range(40)]
    records = [Record("workspaces", {}, {"id": "w1"})]
    sizes = [len(choose(units, records, (i, 4))[0]) for i in range(4)]
    assert sum(sizes) == 40
    assert min(sizes) > 0


def test_the_choice_is_the_same_in_every_process() -> None:
    """The shard of an id is a fixed hash (not Python's per-process salted hash)."""
    assert [shard_of(key, 7) for key in ("a", "workspace-1", "Zx9")] == [
        shard_of(key, 7) for key in ("a", "workspace-1", "Zx9")
    ]
    assert shard_of("workspace-1", 1) == 0
    assert shard_of("abc", 1000) == int("ba7816bf8f01cfea", 16) % 1000


@pytest.mark.parametrize("text", ["", "1", "a/b", "2/2", "-1/3", "0/0", "1/2/3"])
def test_parse_shard_refuses_what_is_not_i_of_n(text: str) -> None:
    """Only I/N with 0 <= I < N is a shard."""
    with pytest.raises(ValueError, match="I/N"):
        parse_shard(text)


def test_parse_and_check_shard() -> None:
    """``"1/4"`` is (1, 4); check_shard takes a pair of ints or None and nothing else."""
    assert parse_shard("1/4") == (1, 4)
    assert check_shard(None) is None
    assert check_shard([0, 2]) == (0, 2)
    for bad in ((1, 1), (0, 0), ("0", 2), (True, 2), (1,), 3):
        with pytest.raises(ValidationError, match="shard"):
            check_shard(bad)
