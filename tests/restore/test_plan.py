"""The restore's plan, pure: taskCreate batches that only refer to tasks already made."""

from __future__ import annotations

import math
import random

from taskade_async.export._restore_plan import BATCH, Node, tree_batches


def _tree(count: int, seed: int) -> list[Node]:
    """A random tree in document order."""
    rng = random.Random(seed)
    nodes: list[Node] = []
    path: list[Node] = []
    for i in range(count):
        while path and rng.random() < 0.3:
            path.pop()
        parent = path[-1] if path else None
        node = Node(f"t{i}", parent.id if parent else None, "x", False, len(path))
        nodes.append(node)
        if rng.random() < 0.5 and len(path) < 8:
            path.append(node)
    return nodes


def test_batches_refer_only_to_earlier_batches_and_keep_sibling_order() -> None:
    """Every task comes once, in batches of at most 20 whose parents were made before, each
    parent's children in their order, and few calls (ceil(n/20) + one per level at most)."""
    for seed in range(20):
        nodes = _tree(500, seed)
        batches = tree_batches(nodes)
        made: set[str] = set()
        children: dict[str | None, list[str]] = {}
        for batch in batches:
            assert 1 <= len(batch) <= BATCH
            assert all(n.parent is None or n.parent in made for n in batch)
            for n in batch:
                children.setdefault(n.parent, []).append(n.id)
            made.update(n.id for n in batch)
        assert sorted(made) == sorted(n.id for n in nodes)
        for parent, ids in children.items():
            assert ids == [n.id for n in nodes if n.parent == parent]
        levels = len({n.depth for n in nodes})
        assert len(batches) <= math.ceil(len(nodes) / BATCH) + levels


def test_a_chain_needs_one_call_per_level() -> None:
    """50 levels of nesting, one task each: 50 calls (a call cannot refer to its own tasks)."""
    chain = [Node(f"t{i}", f"t{i - 1}" if i else None, "x", False, i) for i in range(50)]
    assert [len(b) for b in tree_batches(chain)] == [1] * 50
