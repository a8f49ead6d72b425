"""The demo account: a deterministic, realistic data set built in well under a second.

Three workspaces with folders, 48 projects (39,082 nested tasks for seed 0;
each task draws completion, a note, a date, assignees and custom field values
on its own, so dated tasks are often assigned and some dates have an end),
members, fields, templates, agents with conversations (one public agent per
workspace), and medias with small files. The same seed gives the same ids and
content in a fresh fake.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

from ._tree import FakeTask

if TYPE_CHECKING:
    from ._builders import Builders
    from ._state import FakeAgent, FakeProject

__all__ = ["build_demo"]

_WORKSPACES: Final = (
    ("Acme Corp", ("Engineering", "Marketing", "Sales", "Operations")),
    ("Personal", ("Home", "Reading list", "Travel")),
    ("Open Source", ("taskade_async", "Docs & Website", "Community")),
)
_PEOPLE: Final = (
    ("ada", "Ada Lovelace"),
    ("grace", "Grace Hopper"),
    ("linus", "Linus Torvalds"),
    ("margaret", "Margaret Hamilton"),
    ("guido", "Guido van Rossum"),
    ("barbara", "Barbara Liskov"),
    ("dennis", "Dennis Ritchie"),
    ("zoë", "Zoë Ångström"),
)
_VERBS: Final = (
    "Review", "Draft", "Ship", "Plan", "Fix", "Test", "Write", "Update", "Call", "Prepare",
    "Design", "Refactor", "Schedule", "Research", "Follow up on", "Benchmark", "Document",
)  # fmt: skip
_NOUNS: Final = (
    "the quarterly report", "onboarding checklist", "pricing page", "release notes",
    "API client", "retry policy", "customer interview", "sprint board", "budget", "roadmap",
    "landing page copy", "flaky test", "database migration", "invoice #1042", "team offsite",
    "press kit", "support backlog", "café order for Friday", "naïve cache", "日本語 docs",
)  # fmt: skip
_PROJECTS: Final = (
    "Q3 Roadmap", "Bug Triage", "Launch Plan", "Hiring Pipeline", "Weekly Sync", "Backlog",
    "Content Calendar", "Customer Onboarding", "Infrastructure", "Design System",
    "Research Notes", "Budget 2026", "Release 1.0", "Retrospectives", "Sales Pipeline",
    "Vendor Review",
)  # fmt: skip
_NOTES: Final = (
    "See the spec in the shared drive.",
    "Blocked on legal review.",
    "**Important:** double-check the numbers.",
    "Ask Grace about the edge cases.",
    "Owner is on holiday until Monday.",
)
_YEAR_START: Final = date(2026, 1, 1)
_TONES: Final = ("friendly", "formal", "confident", "warm", "serious")
_LLMS: Final = (
    ("openai", "gpt-4o"),
    ("anthropic", "anthropic/claude-sonnet-4.5"),
    ("google", "google/gemini-2.5-pro"),
)


def _fields() -> list[dict[str, Any]]:
    return [
        {"type": "Select", "displayName": "Status", "options": {
            "todo": {"id": "todo", "name": "To do", "rank": "a", "color": "grey"},
            "doing": {"id": "doing", "name": "Doing", "rank": "b", "color": "blue"},
            "done": {"id": "done", "name": "Done", "rank": "c", "color": "green"},
        }},
        {"type": "number", "displayName": "Estimate", "render": {"type": "text"},
         "format": {"type": "unit", "config": {"type": "standard", "unit": "hour"}}},
        {"type": "string", "displayName": "Customer"},
        {"type": "Rating", "displayName": "Priority", "max": 5, "icon": "star"},
    ]  # fmt: skip


def _date(rng: random.Random, timed: bool, ends: bool) -> dict[str, Any]:
    """A task date in 2026: a day, or a day and time in Berlin; with an end some days later."""
    day = _YEAR_START + timedelta(days=rng.randrange(365))
    start: dict[str, Any] = {"date": day.isoformat()}
    if timed:
        start["time"] = f"{rng.randint(8, 16):02d}:{rng.choice(('00', '15', '30', '45'))}"
        start["timezone"] = "Europe/Berlin"
    if not ends:
        return {"start": start}
    end = {**start, "date": (day + timedelta(days=rng.randint(0 if timed else 1, 14))).isoformat()}
    if timed:
        end["time"] = f"{int(start['time'][:2]) + rng.randint(1, 3):02d}:{start['time'][3:]}"
    return {"start": start, "end": end}


def _decorate(project: FakeProject, tasks: list[FakeTask], rng: random.Random) -> None:
    """Text, completion, notes, dates, assignees and field values, each drawn on its own.

    Drawn independently (planned work more often assigned), so tasks combine
    them as in real accounts: dated, assigned tasks with notes, dates with an
    end, done tasks with a status.
    """
    handles = [m.handle for m in project.members]
    status, estimate, customer, priority = (f.id for f in project.fields)
    choice = rng.choice
    draw = rng.random
    for task in tasks:
        task.text = f"{choice(_VERBS)} {choice(_NOUNS)}"
        task.completed = draw() < 0.3
        if draw() < 0.1:
            task.note = {"type": "text/markdown", "value": choice(_NOTES)}
        dated = draw() < 0.18
        if dated:
            task.date = _date(rng, timed=draw() < 0.3, ends=draw() < 0.35)
        if handles and draw() < (0.5 if dated else 0.08):
            task.assignees = rng.sample(handles, k=min(len(handles), rng.randint(1, 2)))
        if draw() < 0.25:
            task.field_values[status] = "done" if task.completed else choice(("todo", "doing"))
            task.field_values[estimate] = rng.randint(1, 40)
            if draw() < 0.2:
                task.field_values[customer] = choice(("Initech", "Globex", "Umbrella"))
                task.field_values[priority] = rng.randint(1, 5)


def _publish(fake: Builders, agent: FakeAgent, space_name: str) -> None:
    """Give ``agent`` a public page, as enabling public access and editing it would."""
    agent.public_id = fake.state.ids.new()
    agent.preferences = {
        "mode": "chatbot",
        "theme": "auto",
        "canCopyKnowledge": False,
        "meta": {"title": agent.name, "description": f"Ask about {space_name}."},
    }
    agent.conversation_starters = [
        {"id": fake.state.ids.new(), "text": "What changed this week?"},
        {"id": fake.state.ids.new(), "text": "Summarize the open tasks", "prompt": "Summarize."},
    ]


def build_demo(fake: Builders, seed: int = 0) -> None:
    """Fill ``fake`` with the demo account for ``seed``."""
    rng = random.Random(seed)
    fake.state.ids.reseed(seed)
    for ws_index, (ws_name, folder_names) in enumerate(_WORKSPACES):
        workspace = fake.add_workspace(ws_name)
        people = _PEOPLE[ws_index : ws_index + 5 + ws_index]
        for handle, display in people:
            fake.add_member(workspace, handle, display)
        spaces = [workspace, *(fake.add_folder(workspace, name) for name in folder_names)]
        for space in spaces:
            fake.add_template(
                space,
                f"{space.name} checklist",
                [("Kick-off", ["Agree on goals", "Name an owner"]), "Do the work", "Review"],
            )
        # 16 projects per workspace, spread over its spaces.
        for i in range(16):
            space = spaces[i % len(spaces)]
            size = rng.randint(200, 1500)
            project = fake.add_project(
                space, _PROJECTS[i], task_count=size, seed=rng.randrange(2**32)
            )
            for data in _fields():
                fake.add_field(project, data)
            # Its own generator: the sizes and ids stay put when the decoration changes.
            _decorate(project, fake.tasks(project), random.Random(rng.randrange(2**32)))
            if i % 7 == 6:
                project.completed = True
            if i % 5 == 0:
                fake.state.mark_viewed(project)
        for space in spaces[:3]:
            for kind in ("Research assistant", "Standup writer"):
                agent = fake.add_agent(
                    space,
                    f"{kind} ({space.name})",
                    data={
                        "commands": [
                            {
                                "id": fake.state.ids.new(),
                                "name": "Summarize",
                                "prompt": "Summarize the latest updates in this project.",
                                "mode": "default",
                            }
                        ],
                        "description": f"A {kind.lower()} for {space.name}.",
                        "tone": rng.choice(_TONES),
                        "avatar": {"type": "emoji", "data": {"value": "🤖"}},
                        "knowledgeEnabled": True,
                        "language": "en",
                    },
                )
                if space is workspace and kind == "Research assistant":
                    _publish(fake, agent, space.name)
                for n in range(rng.randint(2, 6)):
                    fake.add_convo(
                        agent,
                        f"Conversation {n + 1}",
                        status=rng.choice(("idle", "in_progress", "requires_review")),
                        llm=rng.choice(_LLMS),
                        ended_at=1767225600000 + n * 3_600_000 if n % 2 else None,
                    )
            fake.add_media(space, "logo.png", _PNG, "image/png")
            fake.add_media(space, "notes.txt", f"Notes for {space.name}\n".encode(), "text/plain")
            fake.add_media(space, "report.pdf", b"%PDF-1.4\n% demo\n%%EOF\n", "application/pdf")


# A valid 1x1 transparent PNG.
_PNG: Final = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000005000100f5e6bc140000000049454e44ae426082"
)
