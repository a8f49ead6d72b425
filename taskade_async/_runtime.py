"""The one interface the generated code (``api/``, ``models/``) is written against.

Generated modules import from here and from each other, nothing else of the
package (a test checks it). What they need: the session type, ``Operation``,
argument ``Rule``\\ s and the ``UNSET`` sentinel, the pagers, ``Download`` and
``RawBody``, and the envelope helpers that check and decode an answer.
"""

from ._body import RawBody
from ._convert import (
    as_bool,
    as_str,
    body,
    field,
    item,
    item_or_none,
    items,
    max_size,
    query,
    result,
    structure_fn,
)
from ._download import Download
from ._errors import NotFoundError
from ._pagination import CursorPager, PagePager, SinglePager
from ._replace import request_replacing
from ._request import Operation
from ._session import Session
from ._targets import check_target_url
from ._validate import NO_EXTRA, UNSET, Rule, Unset

__all__ = [
    "NO_EXTRA",
    "UNSET",
    "CursorPager",
    "Download",
    "NotFoundError",
    "Operation",
    "PagePager",
    "RawBody",
    "Rule",
    "Session",
    "SinglePager",
    "Unset",
    "as_bool",
    "as_str",
    "body",
    "check_target_url",
    "field",
    "item",
    "item_or_none",
    "items",
    "max_size",
    "query",
    "request_replacing",
    "result",
    "structure_fn",
]
