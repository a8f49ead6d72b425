"""The crash-safe store: staged units, atomic commit, compaction, manifest round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from taskade_async.export._records import (
    PARENT_KEYS,
    ItemError,
    Record,
    encode_line,
    encode_lines,
)
from taskade_async.export._store import ExportState, atomic_write


@pytest.fixture
def state(tmp_path: Path) -> ExportState:
    """A new checkpoint, created, in the test's own folder."""
    created = ExportState(tmp_path)
    created.create()
    return created


def _rec(kind: str, n: int) -> Record:
    return Record(kind, {"projectId": "p"}, {"id": f"{kind}{n}", "text": "é"})


def test_encode_line_keeps_parents_then_data_on_one_line() -> None:
    """A record is one UTF-8 JSON line: parent ids first, then the raw object under data."""
    line = encode_line(Record("tasks", {"workspaceId": "w", "projectId": "p"}, {"a": [1, 2.5]}))
    assert line == b'{"workspaceId":"w","projectId":"p","data":{"a":[1,2.5]}}\n'


def test_encode_line_escapes_lone_surrogates() -> None:
    """A lone surrogate (valid JSON, invalid UTF-8) is written as an escape, not a crash."""
    line = encode_line(Record("tasks", {"taskId": "t\ud800"}, {"text": "\ud800"}))
    assert json.loads(line) == {"taskId": "t\ud800", "data": {"text": "\ud800"}}


def test_encode_line_refuses_unknown_parent_keys() -> None:
    """A parent key outside the documented ones is a programming error, caught loudly."""
    with pytest.raises(ValueError, match="unknown parent keys"):
        encode_line(Record("tasks", {"workspaceId": "w", "spaceId": "x"}, {}))


def test_encode_line_with_odd_ids_and_unicode() -> None:
    """Ids holding quotes, colons and non-ASCII text are encoded as plain JSON strings."""
    line = encode_line(Record("tasks", {"projectId": 'p":é', "folderId": None}, {"t": "ü"}))
    assert line == '{"folderId":null,"projectId":"p\\":é","data":{"t":"ü"}}\n'.encode()


def test_uncommitted_unit_is_invisible_and_redone(state: ExportState, tmp_path: Path) -> None:
    """Records of a unit that never committed leave no trace in the checkpoint or output."""
    writer = state.writer("u1")
    writer.write(_rec("tasks", 1))
    writer.abandon()  # the process dies here: nothing was committed
    assert not state.done("u1")
    again = state.writer("u1")  # the resumed run starts the unit afresh
    again.write(_rec("tasks", 2))
    again.commit()
    assert state.done("u1")
    stats, errors = state.compact(["tasks"], ["u1"])
    assert errors == []
    lines = (tmp_path / "tasks.jsonl").read_bytes().splitlines()
    assert [json.loads(x)["data"]["id"] for x in lines] == ["tasks2"]
    assert stats["tasks"].records == 1


def test_compaction_follows_plan_order_not_commit_order(state: ExportState, tmp_path: Path) -> None:
    """Units committed in any order compact into files ordered by the plan's keys."""
    for key in ("u3", "u1", "u2"):
        writer = state.writer(key)
        writer.write(_rec("tasks", int(key[1])))
        writer.write(_rec("blocks", int(key[1])))
        writer.commit()
    stats, _ = state.compact(["tasks", "blocks", "fields"], ["u1", "u2", "u3"])
    ids = [json.loads(x)["data"]["id"] for x in (tmp_path / "tasks.jsonl").read_bytes().split()]
    assert ids == ["tasks1", "tasks2", "tasks3"]
    assert (tmp_path / "fields.jsonl").read_bytes() == b""
    assert stats["blocks"].records == 3
    assert stats["fields"].records == 0
    assert [p.name for p in sorted(tmp_path.iterdir())] == [
        ".taskade-export",
        "blocks.jsonl",
        "fields.jsonl",
        "tasks.jsonl",
    ]


def test_errors_and_plan_are_committed_with_the_unit(state: ExportState) -> None:
    """A unit's errors and plan become visible together with its records, in one rename."""
    writer = state.writer("discovery")
    writer.error(ItemError("project", "p1", {"folderId": "f"}, "projectGet", "no", 404, "NF"))
    writer.write(_rec("workspaces", 1))
    writer.set_plan({"units": [1, 2]})
    assert state.plan("discovery") is None
    writer.commit()
    assert state.plan("discovery") == {"units": [1, 2]}
    stats, [error] = state.compact(["workspaces"], ["discovery"])
    assert stats["workspaces"].records == 1
    assert (error.id, error.status, error.parents) == ("p1", 404, {"folderId": "f"})


def test_discard_drops_staged_data(state: ExportState) -> None:
    """A discarded unit leaves nothing staged and is not done."""
    writer = state.writer("u1")
    writer.write(_rec("tasks", 1))
    writer.discard()
    assert not state.done("u1")
    assert list((state.root / "staging").iterdir()) == []


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    """atomic_write leaves the new content and no temporary file behind."""
    target = tmp_path / "x.json"
    target.write_bytes(b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_runs_accumulate_and_remove_clears_state(state: ExportState, tmp_path: Path) -> None:
    """Run figures append across runs; remove() deletes the whole checkpoint."""
    state.append_run({"requests": 3})
    state.append_run({"requests": 4})
    assert [r["requests"] for r in state.runs()] == [3, 4]
    state.remove()
    assert not state.exists()
    assert list(tmp_path.iterdir()) == []


def test_compaction_refuses_an_unknown_line_type(state: ExportState) -> None:
    """A staged line whose type is not being compacted is an error, not silently lost."""
    writer = state.writer("u1")
    writer.write(_rec("tasks", 1))
    writer.commit()
    with pytest.raises(ValueError, match="unknown type"):
        state.compact(["blocks"], ["u1"])


def test_writer_refuses_use_after_commit(state: ExportState) -> None:
    """A committed unit cannot be written to or committed again."""
    writer = state.writer("u1")
    writer.commit()
    with pytest.raises(RuntimeError):
        writer.write(_rec("tasks", 1))
    with pytest.raises(RuntimeError):
        writer.commit()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
_parents = st.fixed_dictionaries(
    {},
    optional={key: st.none() | st.text(min_size=1) for key in PARENT_KEYS},
)


@given(parents=_parents, data=_json)
def test_encode_line_round_trips_any_json(parents: dict[str, str | None], data: object) -> None:
    """Any JSON value with any parent ids decodes back to exactly the same values."""
    line = encode_line(Record("tasks", parents, data))
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert json.loads(line) == {**parents, "data": data}
    assert list(json.loads(line)) == [k for k in PARENT_KEYS if k in parents] + ["data"]
    batch = encode_lines([Record("tasks", parents, data), Record("blocks", parents, data)])
    assert batch == b"tasks\t" + line + b"blocks\t" + line


def test_compaction_interrupted_part_way_is_redone_identically(
    state: ExportState, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between two files' renames leaves the units intact; compacting again matches."""
    for key in ("u1", "u2"):
        writer = state.writer(key)
        writer.write_many([_rec("tasks", int(key[1])), _rec("blocks", int(key[1]))])
        writer.commit()
    state.compact(["tasks", "blocks"], ["u1", "u2"])
    want = {p.name: p.read_bytes() for p in tmp_path.glob("*.jsonl")}
    for p in tmp_path.glob("*.jsonl"):
        p.unlink()
    real_replace = Path.replace
    calls: list[Path] = []

    def dying_replace(self: Path, target: str | Path) -> Path:
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process stops between the two renames
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", dying_replace)
    with pytest.raises(KeyboardInterrupt):
        state.compact(["tasks", "blocks"], ["u1", "u2"])
    monkeypatch.undo()
    assert state.done("u1")
    assert state.done("u2")
    state.compact(["tasks", "blocks"], ["u1", "u2"])
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.jsonl")} == want


def _reference_line(record: Record) -> bytes:
    """The line as plain ``json.dumps`` writes it (escaped if UTF-8 cannot hold it)."""
    obj = {**{k: record.parents[k] for k in PARENT_KEYS if k in record.parents}}
    obj["data"] = record.data
    try:
        return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    except UnicodeEncodeError:
        return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


@example(
    batch=[("tasks", 0, "é"), ("tasks", 0, {"x": "lone \ud800"}), ("blocks", 1, [1.5, None])],
    parents=[{"projectId": "p\u00e9"}, {"taskId": None}, {}],
)
@given(
    batch=st.lists(
        st.tuples(st.sampled_from(["tasks", "blocks"]), st.integers(0, 2), _json), max_size=6
    ),
    parents=st.lists(_parents, min_size=3, max_size=3),
)
def test_staged_batches_match_plain_json_dumps(
    batch: list[tuple[str, int, object]], parents: list[dict[str, str | None]]
) -> None:
    """The fast batch encoder writes exactly the bytes plain json.dumps would, surrogates too."""
    records = [Record(kind, parents[which], data) for kind, which, data in batch]
    want = b"".join(r.type.encode() + b"\t" + _reference_line(r) for r in records)
    assert encode_lines(records) == want
