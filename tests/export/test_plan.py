"""Discovery's planning, a pure function: units and records from what was listed, no server."""

from __future__ import annotations

from taskade_async.export._discover import Listing, Space, plan_units
from taskade_async.export._units import Selection


def _listing() -> Listing:
    """Two workspaces; w1 has a folder f1 holding p1 and p2; w2's own space holds p1 again."""
    return Listing(
        workspaces=[("w1", {"id": "w1"}), ("w2", {"id": "w2"})],
        spaces=[
            [Space("w1", None, []), Space("f1", {"id": "f1"}, [{"id": "p1"}, {"id": "p2"}])],
            [Space("w2", None, [{"id": "p1"}, None, {"id": ".."}])],
        ],
        mine=[{"id": "p2"}, {"id": "p3"}],
    )


def test_plan_walk_order_and_first_place_wins() -> None:
    """Units follow the walk (space unit, then its projects); a project listed twice is
    planned once, where first seen; unfiled projects come last with null parents."""
    plan = plan_units(Selection(), _listing())
    assert [(u.key, u.kind, u.id, dict(u.parents)) for u in plan.units] == [
        ("u000001", "folder", "w1", {"workspaceId": "w1", "folderId": None}),
        ("u000002", "folder", "f1", {"workspaceId": "w1", "folderId": "f1"}),
        ("u000003", "project", "p1", {"workspaceId": "w1", "folderId": "f1"}),
        ("u000004", "project", "p2", {"workspaceId": "w1", "folderId": "f1"}),
        ("u000005", "folder", "w2", {"workspaceId": "w2", "folderId": None}),
        ("u000006", "project", "p3", {"workspaceId": None, "folderId": None}),
    ]
    assert [(r.type, dict(r.parents), r.data) for r in plan.records] == [
        ("workspaces", {}, {"id": "w1"}),
        ("folders", {"workspaceId": "w1"}, {"id": "f1"}),
        ("workspaces", {}, {"id": "w2"}),
    ]
    assert plan.errors == []


def test_plan_with_projects_selected_keeps_only_their_units_and_names_the_missing() -> None:
    """Selecting projects plans no folder units, keeps only the workspaces that hold one,
    and reports each selected id nothing listed."""
    plan = plan_units(Selection(projects=frozenset({"p2", "zz"})), _listing())
    assert [(u.kind, u.id) for u in plan.units] == [("project", "p2")]
    assert [r.type for r in plan.records] == ["workspaces", "folders"]
    assert [(e.what, e.id, e.message) for e in plan.errors] == [
        ("project", "zz", "no such project among those listed")
    ]


def test_plan_with_a_folder_selected_leaves_out_other_spaces() -> None:
    """A folder filter plans only that folder's units and lists a missing folder as an error."""
    listing = Listing(
        workspaces=[("w1", {"id": "w1"})],
        spaces=[[Space("f1", {"id": "f1"}, [{"id": "p1"}])]],
    )
    plan = plan_units(Selection(folders=frozenset({"f1", "f9"})), listing)
    assert [(u.kind, u.id) for u in plan.units] == [("folder", "f1"), ("project", "p1")]
    assert [(e.what, e.id) for e in plan.errors] == [("folder", "f9")]
