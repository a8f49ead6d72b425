"""Markdown to project outline, as the create-project operations read it."""

from __future__ import annotations

from taskade_async.testing._markdown import parse_project


def test_heading_names_the_project_and_lists_nest() -> None:
    """A leading heading is the name; list items nest by indentation; other lines are tasks."""
    name, outline = parse_project(
        "# Launch\n\n- Plan\n  - Budget\n    * Numbers\n  - People\n1. Ship\nLoose line\n"
        "- [x] Done item\n\t- Tabbed child\n"
    )
    assert name == "Launch"
    assert outline == [
        ("Plan", [("Budget", ["Numbers"]), "People"]),
        "Ship",
        "Loose line",
        ("Done item", ["Tabbed child"]),
    ]


def test_no_heading_and_later_headings() -> None:
    """Without a leading heading the name is Untitled; later headings become tasks."""
    name, outline = parse_project("- a\n## Section\n- b\n")
    assert name == "Untitled"
    assert outline == ["a", "Section", "b"]
    assert parse_project("") == ("Untitled", [])
