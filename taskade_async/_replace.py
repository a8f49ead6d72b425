"""Register again what is already registered: ``webhooks.create(..., replace=True)``.

Taskade answers 409 to a second webhook for a target URL; integrations then
delete the old one and register again, which issues a new secret (the only
way to rotate one).
"""

from __future__ import annotations

from typing import Any

from ._errors import ConflictError, ValidationError
from ._request import Operation
from ._session import Session

__all__ = ["request_replacing"]


async def request_replacing(
    session: Session,
    replace: bool,
    remove: Operation,
    remove_args: tuple[str, ...],
    op: Operation,
    args: tuple[str, ...],
    **kwargs: Any,
) -> dict[str, Any]:
    """``session.request(op, args, **kwargs)``; with ``replace``, a 409 deletes the thing in
    the way (``remove`` with ``remove_args``) and sends ``op`` once more."""
    if not isinstance(replace, bool):
        raise ValidationError(f"{op.operation_id}: replace must be a bool")
    answer: dict[str, Any]
    try:
        answer = await session.request(op, args, **kwargs)
        return answer
    except ConflictError:
        if not replace:
            raise
    await session.request(remove, remove_args)
    answer = await session.request(op, args, **kwargs)
    return answer
