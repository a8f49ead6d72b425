"""Query-string rules of every operation that takes one, in one declarative place."""

from __future__ import annotations

from typing import Any, Final

import attrs

__all__ = ["QUERIES", "QueryParam"]


@attrs.frozen
class QueryParam:
    """One query parameter: an integer count, or a string (optionally an enum)."""

    kind: str  # "count" or "string"
    default: Any = None
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    enum: tuple[str, ...] | None = None


def _limit(default: int, maximum: int | None = None) -> QueryParam:
    return QueryParam("count", default, minimum=1, maximum=maximum)


_PAGE: Final = QueryParam("count", 1, minimum=1)
_CURSOR: Final = QueryParam("string")

#: operationId -> its query parameters (wire name -> rule). Others take none.
QUERIES: Final[dict[str, dict[str, QueryParam]]] = {
    "projectMembersGet": {"limit": _limit(20), "page": _PAGE},
    "projectBlocksGet": {"limit": _limit(100, 1000), "after": _CURSOR, "before": _CURSOR},
    "projectTasksGet": {"limit": _limit(100, 1000), "after": _CURSOR, "before": _CURSOR},
    "folderAgentGet": {"limit": _limit(20), "page": _PAGE},
    "mediasGet": {"limit": _limit(100), "page": _PAGE},
    "folderProjectTemplatesGet": {"limit": _limit(20), "page": _PAGE},
    "meProjectsGet": {
        "limit": _limit(100),
        "page": _PAGE,
        "sort": QueryParam("string", "viewed-desc", enum=("viewed-asc", "viewed-desc")),
    },
    "agentConvosGet": {"limit": _limit(20), "page": _PAGE},
    "mediaUpload": {"filename": QueryParam("string", required=True)},
    "bundleExportZip": {"format": QueryParam("string", "zip", enum=("zip", "tsk"))},
}
