"""One generated function per operation: its signature, checks, call and result.

Each kind of result has its own small emitter (``_result_*``); each kind of
pager its own paging arguments (``PAGERS``). Names the code uses are added to
the module's :class:`~codegen.imports.Imports` as they are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from . import overrides
from .errors import SpecError
from .names import snake
from .spec import Operation, Param, Type
from .types import TypeEmitter, const, tuple_display


class PagerKind(NamedTuple):
    cls: str
    #: The query parameters the pager drives, and the keywords it takes for them.
    params: tuple[str, ...]
    keywords: tuple[str, ...]
    readme: str


PAGERS: dict[str, PagerKind] = {
    "cursor": PagerKind(
        "CursorPager",
        ("limit", "after", "before"),
        ("after: str | None = None", "before: str | None = None"),
        "cursor pager",
    ),
    "page": PagerKind("PagePager", ("limit", "page"), ("page: int = 1",), "page pager"),
    "single": PagerKind("SinglePager", (), (), "one-page pager"),
}


PAGING_DOCS = {
    "limit": "items per page (the query's ``limit``).",
    "after": "start after this id (a cursor; ``None``: from the start).",
    "before": "walk back from before this id (a cursor).",
    "page": "the first page to fetch (1-based).",
}


@dataclass
class Function:
    """What the emitters build up for one generated function."""

    op: Operation
    call: list[str]
    lines: list[str] = field(default_factory=list)
    doc: list[str] = field(default_factory=list)


class FunctionEmitter(TypeEmitter):
    """Writes the functions of the resource modules (see :meth:`function`)."""

    def function(
        self, op: Operation, decoders: dict[str, str], consts: list[str], note: str = ""
    ) -> list[str]:
        """The source lines of ``op``'s function; its constants are appended to ``consts``."""
        name = const(op.operation_id)
        operation = self.imp.runtime("Operation")
        consts.append(
            f"{name}: Final = {operation}({op.operation_id!r}, {op.method!r}, {op.path!r}"
            f"{_operation_options(op)})"
        )
        path_args = [snake(p) for p in op.path_params]
        ids = [*path_args, *(snake(p) for p in op.positional_body)]
        session = self.imp.runtime("Session")
        params = [f"session: {session}", *(f"{p}: str" for p in ids), "/"]
        fn = Function(op, [name, tuple_display(path_args) if path_args else "()"])
        query, kw = self._paging(op)
        kw = [self._arg(q) for q in query if q.required] + kw
        kw += [self._arg(q) for q in query if not q.required]
        named_body = [b for b in op.body if b.wire not in op.positional_body]
        kw += [self._arg(b) for b in named_body if b.required]
        kw += [self._optional(op, b) for b in named_body if not b.required]
        if op.raw_body:
            kw.append(f"data: {self.imp.runtime('RawBody')}")
            kw.append(f"content_type: str = {overrides.RAW_CONTENT_TYPE[op.operation_id]!r}")
        if op.entry.pager is not None:
            kw.append("max_items: int | None = None")
        if op.operation_id in overrides.REPLACEABLE:
            kw.append("replace: bool = False")
        if kw:
            params += ["*", *kw]
        self._checks(fn, query, consts)
        if op.entry.pager is not None:
            ret = self._result_pager(fn, query, decoders)
            head = [f"def {op.entry.function}({', '.join(params)}) -> {ret}:"]
        else:
            emit = RESULTS.get(op.returns.kind)
            if emit is None:
                raise SpecError(f"{op.operation_id}: unknown result kind {op.returns.kind}")
            ret = emit(self, fn, decoders)
            head = [f"async def {op.entry.function}({', '.join(params)}) -> {ret}:"]
        if note:
            fn.doc += ["", note] if fn.doc else [note]
        return [*head, *self._docstring(op, fn.doc, [*query, *named_body]), *fn.lines]

    # -- arguments ------------------------------------------------------------------------

    def _optional(self, op: Operation, p: Param) -> str:
        """An optional body argument; None too where None means "left out" (NONE_IS_UNSET)."""
        arg = self._arg(p)
        if p.wire not in overrides.NONE_IS_UNSET.get(op.operation_id, ()) or "| None" in arg:
            return arg
        head, _, default = arg.rpartition(" = ")
        return f"{head} | None = {default}"

    def _paging(self, op: Operation) -> tuple[list[Param], list[str]]:
        """The query parameters left to the caller, and the pager's own keywords."""
        if op.entry.pager is None:
            return list(op.query), []
        kind = PAGERS[op.entry.pager]
        names = {q.wire: q for q in op.query}
        missing = [n for n in kind.params if n not in names]
        if missing:
            raise SpecError(f"{op.operation_id}: a {kind.readme} needs {', '.join(missing)}")
        kw = [f"limit: int = {int(names['limit'].default or 100)}"] if kind.params else []
        kw += kind.keywords
        return [q for q in op.query if q.wire not in kind.params], kw

    def _checks(self, fn: Function, query: list[Param], consts: list[str]) -> None:
        """Argument checks before sending: query, target URLs, the JSON body, a raw body."""
        op, where, name = fn.op, fn.op.operation_id, const(fn.op.operation_id)
        if query:
            checks = [self._rule(q.name, q.wire, q.type, q.required) for q in query]
            consts.append(f"{name}_QUERY: Final = {tuple_display(checks)}")
            values = tuple_display([q.name for q in query])
            fn.lines.append(
                f"    params = {self.imp.runtime('query')}({where!r}, {name}_QUERY, {values})"
            )
            fn.call.append("query=params")
        for wire in overrides.TARGET_URLS.get(op.operation_id, ()):
            check = self.imp.runtime("check_target_url")
            fn.lines.append(f"    {check}({snake(wire)}, {where + ': ' + snake(wire)!r})")
        if op.body:
            checks = [self._rule(b.name, b.wire, b.type, b.required) for b in op.body]
            consts.append(f"{name}_BODY: Final = {tuple_display(checks)}")
            unset = overrides.NONE_IS_UNSET.get(op.operation_id, ())
            values = tuple_display(
                [
                    f"{self.imp.runtime('UNSET')} if {b.name} is None else {b.name}"
                    if b.wire in unset
                    else b.name
                    for b in op.body
                ]
            )
            fn.lines.append(
                f"    json = {self.imp.runtime('body')}({where!r}, {name}_BODY, {values})"
            )
            fn.call.append("json=json")
        if op.raw_body:
            if op.raw_limit is not None:
                limit = self.imp.runtime("max_size")
                fn.lines.append(f"    {limit}(data, {op.raw_limit}, {where!r})")
            fn.call += ["data=data", "content_type=content_type"]

    def _docstring(self, op: Operation, extra: list[str], params: list[Param]) -> list[str]:
        """Summary, ``METHOD /path``, notes, then a ``:param:`` list of every argument."""
        api = "" if op.api == "v1" else f" (API {op.api})"
        lines = [f'    """{op.entry.summary}', "", f"    ``{op.method} {op.path}``{api}"]
        lines += [f"    {line}" if line else "" for line in ["", *extra]] if extra else []
        lines.append("")
        lines.append("    :param session: the :class:`~taskade_async.Session` to send with.")
        for wire in op.path_params:
            lines.append(f"    :param {snake(wire)}: the path's ``{wire}``.")
        for wire in op.positional_body:
            lines.append(f"    :param {snake(wire)}: the body's ``{wire}``.")
        for p in params:
            where = "query" if p in op.query else "body"
            optional = "" if p.required else " (optional: left out unless given)"
            if p.wire in overrides.NONE_IS_UNSET.get(op.operation_id, ()):
                optional = " (optional: left out if not given or None)"
            lines.append(f"    :param {p.name}: the {where}'s ``{p.wire}``{optional}.")
        if op.raw_body:
            lines.append("    :param data: the request body, streamed.")
            lines.append("    :param content_type: the body's ``Content-Type``.")
        if op.operation_id in overrides.REPLACEABLE:
            lines.append(
                "    :param replace: if the server has one already (409), delete it and "
                "create again."
            )
        if op.entry.pager is not None:
            for keyword in PAGERS[op.entry.pager].params:
                lines.append(f"    :param {keyword}: {PAGING_DOCS[keyword]}")
            lines.append("    :param max_items: stop after this many items in all.")
        return [*lines, '    """']

    # -- results: one emitter per kind ------------------------------------------------------

    def _request(self, fn: Function) -> str:
        replaceable = overrides.REPLACEABLE.get(fn.op.operation_id)
        if replaceable is None:
            return f"await session.request({', '.join(fn.call)}"
        wire, remove = replaceable
        helper = self.imp.runtime("request_replacing")
        args = ["session", "replace", const(remove), f"({snake(wire)},)", *fn.call]
        return f"await {helper}({', '.join(args)}"

    def _result_pager(self, fn: Function, query: list[Param], decoders: dict[str, str]) -> str:
        op, r = fn.op, fn.op.returns
        assert op.entry.pager is not None
        if r.kind != "items" or r.type is None or r.type.item is None:
            raise SpecError(f"{op.operation_id}: a list operation must answer with items")
        kind = PAGERS[op.entry.pager]
        # A pager never yields None: null entries are skipped (and counted on the page).
        item = replace(r.type.item, nullable=False)
        decode = self._decoder(item, decoders)
        cls = self.imp.runtime(kind.cls)
        fn.doc += [
            "Returns a pager at once: ``async for`` over the items, ``.pages()``,",
            "``await .collect()``; ``max_items`` caps the total.",
        ]
        if r.type.item.nullable:
            fn.doc.append("Null entries are left out and counted in ``Page.skipped``.")
        paging = [f"{p}={p}" for p in kind.params]
        fn.lines.append(
            f"    return {cls}(session, {fn.call[0]}, {fn.call[1]}, "
            f"{'params' if query else '{}'}, {decode}, "
            f"{', '.join([*paging, 'max_items=max_items'])})"
        )
        return f"{cls}[{self._base(item, request=False)}]"

    def _result_binary(self, fn: Function, decoders: dict[str, str]) -> str:
        fn.lines.append(f"    return {self._request(fn)}, stream=True)")
        return self.imp.runtime("Download")

    def _result_none(self, fn: Function, decoders: dict[str, str]) -> str:
        fn.lines.append(f"    {self._request(fn)})")
        return "None"

    def _decode(self, fn: Function, helper: str, *args: str) -> None:
        """``payload = await request``, then ``return helper(payload, *args, where)``."""
        if fn.op.operation_id in overrides.NOT_FOUND_IS_NONE:
            fn.doc.append("Taskade answers 404 for a task with none: that is None too.")
            fn.lines += [
                "    try:",
                f"        payload = {self._request(fn)})",
                f"    except {self.imp.runtime('NotFoundError')}:",
                "        return None",
            ]
        else:
            fn.lines.append(f"    payload = {self._request(fn)})")
        call = ", ".join(["payload", *args, repr(fn.op.operation_id)])
        fn.lines.append(f"    return {self.imp.runtime(helper)}({call})")

    def _result_item(self, fn: Function, decoders: dict[str, str]) -> str:
        r = fn.op.returns
        assert r.type is not None
        if r.type.kind == "list":  # an ``item`` that is a list of objects
            assert r.type.item is not None
            self._decode(fn, "items", '"item"', self._decoder(r.type.item, decoders))
            return f"{self.imp.module('builtins')}.list[{self._base(r.type.item, request=False)}]"
        decode = self._decoder(Type("model", model=r.type.model), decoders)
        self._decode(fn, "item_or_none" if r.nullable else "item", decode)
        return self._base(r.type, request=False) + (" | None" if r.nullable else "")

    def _result_items(self, fn: Function, decoders: dict[str, str]) -> str:
        t = fn.op.returns.type
        assert t is not None
        assert t.item is not None
        self._decode(fn, "items", '"items"', self._decoder(t.item, decoders))
        inner = self._base(t.item, request=False) + (" | None" if t.item.nullable else "")
        return f"{self.imp.module('builtins')}.list[{inner}]"

    def _result_field(self, fn: Function, decoders: dict[str, str]) -> str:
        r = fn.op.returns
        assert r.type is not None
        if r.type.kind == "model":
            decode = self._decoder(r.type, decoders)
        else:
            decode = self.imp.runtime({"str": "as_str", "bool": "as_bool"}[r.type.kind])
        self._decode(fn, "field", repr(r.key), decode)
        return self._base(r.type, request=False)

    def _result_result(self, fn: Function, decoders: dict[str, str]) -> str:
        r = fn.op.returns
        assert r.type is not None
        self._decode(fn, "result", self._decoder(r.type, decoders))
        return self._base(r.type, request=False)


RESULTS: dict[str, Callable[[FunctionEmitter, Function, dict[str, str]], str]] = {
    "binary": FunctionEmitter._result_binary,
    "none": FunctionEmitter._result_none,
    "item": FunctionEmitter._result_item,
    "items": FunctionEmitter._result_items,
    "field": FunctionEmitter._result_field,
    "result": FunctionEmitter._result_result,
}


def _operation_options(op: Operation) -> str:
    """The keyword arguments of an ``Operation(...)`` beyond v1's defaults."""
    out = ""
    if op.api != "v1":
        out += f", api={op.api!r}"
    if op.retry_safe is not None:
        out += f", retry_safe={op.retry_safe!r}"
    if op.min_deadline is not None:
        out += f", min_deadline={op.min_deadline!r}"
    return out
