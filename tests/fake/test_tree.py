"""The task tree: placements, moves, deletes and the cached document order."""

from __future__ import annotations

import pytest

from taskade_async.testing._tree import FakeTask, TaskTree, TreeError


def _tree() -> tuple[TaskTree, dict[str, FakeTask]]:
    # a
    #   b
    #   c
    #     d
    # e
    tree = TaskTree()
    tasks = {name: FakeTask(name, name.upper()) for name in "abcde"}
    tree.append_bulk(tasks["a"], None)
    tree.append_bulk(tasks["b"], tasks["a"])
    tree.append_bulk(tasks["c"], tasks["a"])
    tree.append_bulk(tasks["d"], tasks["c"])
    tree.append_bulk(tasks["e"], None)
    return tree, tasks


def _ids(tree: TaskTree) -> str:
    return "".join(task.id for task in tree.order()[0])


def test_document_order_is_depth_first_parents_first() -> None:
    """The listing order visits each parent before its children, depth first."""
    tree, _ = _tree()
    order, index = tree.order()
    assert _ids(tree) == "abcde"
    assert index == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}
    assert order[3].to_json() == {"id": "d", "text": "D", "parentId": "c", "completed": False}
    assert order[0].to_json() == {"id": "a", "text": "A", "completed": False}


@pytest.mark.parametrize(
    ("placement", "expected", "parent"),
    [
        ("beforebegin", "abxcde", "a"),
        ("afterbegin", "abcxde", "c"),
        ("beforeend", "abcdxe", "c"),
        ("afterend", "abcdxe", "a"),
    ],
)
def test_insert_placements_follow_insert_adjacent_element(
    placement: str, expected: str, parent: str
) -> None:
    """Each placement puts the new task where the DOM's insertAdjacentElement would."""
    tree, tasks = _tree()
    tree.insert(FakeTask("x", "X"), tasks["c"], placement)
    assert _ids(tree) == expected
    new = tree.by_id["x"]
    assert new.parent is tasks[parent]


def test_root_placements() -> None:
    """Without a reference task, afterbegin is the first root and beforeend the last."""
    tree, _ = _tree()
    tree.insert(FakeTask("x", "X"), None, "afterbegin")
    tree.insert(FakeTask("y", "Y"), None, "beforeend")
    assert _ids(tree) == "xabcdey"
    for placement in ("beforebegin", "afterend"):
        with pytest.raises(TreeError):
            tree.insert(FakeTask("z", "Z"), None, placement)
    assert "z" not in tree


def test_move_carries_the_subtree() -> None:
    """Moving a task moves its children with it."""
    tree, tasks = _tree()
    tree.move(tasks["c"], tasks["e"], "afterbegin")
    assert _ids(tree) == "abecd"
    assert tasks["c"].parent is tasks["e"]
    assert tasks["a"].children == [tasks["b"]]


def test_move_into_own_subtree_is_refused() -> None:
    """A task cannot be moved relative to itself or into its descendants; nothing changes."""
    tree, tasks = _tree()
    for target in ("a", "c", "d"):
        with pytest.raises(TreeError):
            tree.move(tasks["a"], tasks[target], "beforeend")
    assert _ids(tree) == "abcde"


def test_remove_deletes_the_subtree() -> None:
    """Deleting a task deletes its descendants and refreshes the order."""
    tree, tasks = _tree()
    removed = tree.remove(tasks["a"])
    assert [t.id for t in removed] == ["a", "b", "c", "d"]
    assert _ids(tree) == "e"
    assert len(tree) == 1


def test_order_is_cached_until_a_structural_change() -> None:
    """The document order is reused while the structure holds, and rebuilt after a change."""
    tree, tasks = _tree()
    first = tree.order()[0]
    tasks["b"].text = "changed"  # not structural
    assert tree.order()[0] is first
    tree.insert(FakeTask("x", "X"), tasks["e"], "afterend")
    assert tree.order()[0] is not first
    assert _ids(tree) == "abcdex"
    assert tree.root_index() == {"a": 0, "e": 1, "x": 2}
