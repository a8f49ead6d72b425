"""A sample payload of each of the six events, in the shapes Taskade documents (for send-test)."""

from __future__ import annotations

import copy
from typing import Any, Final

__all__ = ["SAMPLES", "sample"]

_PROJECT: Final = {"projectName": "Launch plan", "projectId": "sample-project"}
_SPACE: Final = {"spaceName": "Team", "spaceId": "sample-space"}

#: Event name -> a payload as Taskade sends it.
SAMPLES: Final[dict[str, dict[str, Any]]] = {
    "task.due": {
        **_SPACE,
        **_PROJECT,
        "id": "sample-task",
        "text": "Write the press release",
        "isCompleted": False,
        "assignees": ["ann"],
        "taskStartDate": "2026-01-05",
        "taskStartTime": "09:00:00",
        "taskStartTimezone": "UTC",
        "taskEndDate": "2026-01-05",
        "taskEndTime": "17:00:00",
        "taskEndTimezone": "UTC",
    },
    "task.assigned": {
        **_PROJECT,
        "assignerName": "Ann",
        "nodes": [
            {
                "nodeId": "sample-task",
                "nodeText": "Write the press release",
                "isCompleted": False,
                "assignees": ["bob"],
            }
        ],
    },
    "comment.created": {
        **_PROJECT,
        "nodeId": "sample-task",
        "nodeText": "Write the press release",
        "commenterDisplayName": "Ann",
        "commenterHandle": "ann",
        "commentBody": "Draft is in the shared folder @bob",
        "commentBodyType": "text/plain",
        "assignees": ["bob"],
        "mentionedHandles": ["bob"],
    },
    "project.created": {**_SPACE, **_PROJECT, "creatorName": "Ann"},
    "project.assigned": {
        **_SPACE,
        **_PROJECT,
        "creatorName": "Ann",
        "assignerName": "Ann",
        "assigneeName": "Bob",
        "assigneeId": "sample-user",
    },
    "project.joined": {
        "spaceId": "sample-space",
        **_PROJECT,
        "joinerName": "Bob",
        "joinerUserId": "sample-user",
    },
}


def sample(event: str) -> dict[str, Any]:
    """A fresh copy of the sample payload of ``event`` (KeyError if it is not one of the six)."""
    return copy.deepcopy(SAMPLES[event])
