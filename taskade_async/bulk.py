"""Create any number of tasks: the API takes at most 20 per call, so send them in batches.

Batches go one after the other, in the order given, so tasks placed with the
same ``placement`` keep their order. Every item is checked before the first
call. If a batch fails, :class:`CreateTasksError` says how many tasks exist
and carries them, so the caller can resume with the rest without duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ._errors import APIError, CreateTasksError, TaskadeError, ValidationError
from .api import tasks
from .models import NewTask, Task

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["BATCH_SIZE", "CreateTasksError", "create_tasks"]

#: The most tasks one ``taskCreate`` call accepts.
BATCH_SIZE: Final = 20


async def create_tasks(
    session: Session,
    project_id: str,
    items: Sequence[NewTask | dict[str, Any]],
    *,
    batch_size: int = BATCH_SIZE,
) -> list[Task]:
    """Create every task of ``items`` in order, ``batch_size`` (at most 20) per call.

    Returns the created tasks in the order given. Raises ValidationError before
    anything is sent if any item is invalid, and :class:`CreateTasksError` if
    a call fails (carrying the tasks created so far).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise ValidationError("batch_size must be an int")
    if not 1 <= batch_size <= BATCH_SIZE:
        raise ValidationError(f"batch_size must be from 1 to {BATCH_SIZE}, not {batch_size}")
    if not isinstance(items, list | tuple):
        raise ValidationError("items must be a list of NewTask or dicts")
    # Check every item now, so a bad item 95 does not leave 80 tasks behind.
    (rule,) = tasks.TASK_CREATE_BODY
    assert rule.item is not None
    for i, value in enumerate(items):
        rule.item.check(value, f"create_tasks: items[{i}]")
    created: list[Task] = []
    for start in range(0, len(items), batch_size):
        batch = list(items[start : start + batch_size])
        try:
            made = await tasks.create(session, project_id, tasks=batch)
        except TaskadeError as exc:
            # An error answer means the server refused the batch; anything else
            # (a transport failure, a garbled answer) leaves it unknown.
            uncertain = not isinstance(exc, APIError)
            raise CreateTasksError(
                f"create_tasks: {len(created)} of {len(items)} tasks created; the batch "
                f"starting at item {start} failed{' (it may exist)' if uncertain else ''}: {exc}",
                created=created,
                uncertain=uncertain,
            ) from exc
        if len(made) != len(batch):
            raise CreateTasksError(
                f"create_tasks: the server created {len(made)} tasks for a batch of "
                f"{len(batch)} (items {start}..{start + len(batch) - 1})",
                created=[*created, *made],
                uncertain=True,
            )
        created.extend(made)
    return created
