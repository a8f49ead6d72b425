"""Write the generated Python source: models, one module per resource, the README list."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import overrides
from .errors import SpecError
from .functions import PAGERS, FunctionEmitter
from .imports import Imports
from .names import snake
from .spec import Model, Operation
from .table import ALIASES, MODULE_SUMMARIES, MODULES, Entry
from .types import const, lit

__all__ = ["Emitter"]


class Emitter(FunctionEmitter):
    """Every generated file's text (see ``codegen.__main__.render``)."""

    # -- models --------------------------------------------------------------------

    def _model_field(self, model: Model, prop: Any) -> str:
        request_only = not model.response
        ann = self._base(prop.type, request=request_only)
        nullable = prop.type.nullable and prop.type.kind != "any"
        meta = f'metadata={{"wire": {prop.wire!r}}}'
        if prop.name in overrides.SECRET_FIELDS.get(model.name, ()):
            meta = "repr=False, " + meta  # a credential: never in a repr
        if prop.required:
            if nullable:
                ann += " | None"
            return f"    {prop.name}: {ann} = attrs.field({meta})"
        if request_only:
            unset, default = self.imp.runtime("Unset"), self.imp.runtime("UNSET")
            ann += f" | {unset} | None" if nullable else f" | {unset}"
            return f"    {prop.name}: {ann} = attrs.field(default={default}, {meta})"
        if prop.type.kind != "any":
            ann += " | None"
        return f"    {prop.name}: {ann} = attrs.field(default=None, {meta})"

    def _model_class(self, model: Model) -> list[str]:
        where = model.doc.replace("#/components/schemas/", "")
        if len(model.uses) > 1:
            first = "An object the API sends and accepts"
            rest = (
                "Optional fields left ``None`` are not sent; unknown fields received are\n"
                "    kept in ``extra`` and sent back as they were."
            )
        elif model.response:
            first = "An object the API sends"
            rest = "Fields the spec does not list are kept in ``extra``."
        else:
            first = "An object sent to the API; fields left ``UNSET`` are not sent"
            rest = "Anything in ``extra`` is sent as well."
        out = [
            f"\n@{self.imp.module('attrs')}.define(kw_only=True)",
            f"class {model.name}:",
            f'    """{first} (spec: ``{where}``).',
            "",
            f"    {rest}",
            '    """\n',
        ]
        out += [self._model_field(model, prop) for prop in model.props]
        mapping = self.imp.name("collections.abc", "Mapping")
        out.append(
            f"    extra: {mapping}[str, {self.imp.name('typing', 'Any')}] = attrs.field("
            f"default={self.imp.runtime('NO_EXTRA')}, eq=False, repr=False, "
            'metadata={"extra": True})'
        )
        return out

    def models_source(self) -> str:
        self.imp = Imports(local_models=True)
        classes = [line for model in self.models.values() for line in self._model_class(model)]
        out = [
            self.header,
            '"""The API\'s objects as attrs classes (declarations only; see ``_convert``)."""\n',
            "from __future__ import annotations\n",
            *self.imp.lines(),
            f"\n__all__ = [{lit(sorted(self.models))}]\n",
            *classes,
        ]
        return "\n".join(out) + "\n"

    def models_init(self) -> str:
        names = sorted(self.models)
        return (
            "\n".join(
                [
                    self.header,
                    '"""Generated attrs models of the API\'s objects."""\n',
                    f"from ._models import {', '.join(names)}\n",
                    f"__all__ = [{lit(names)}]",
                ]
            )
            + "\n"
        )

    def _aliases(self, module: str) -> list[tuple[Operation, str]]:
        """The named functions of ``ALIASES`` for ``module``, as operations."""
        by_id = {op.operation_id: op for op in self.ops}
        out = []
        for function, operation_id, params, summary, note in ALIASES.get(module, ()):
            op = by_id[operation_id]
            if len(params) != len(op.path_params):
                raise SpecError(f"{operation_id}: the alias {function} renames the wrong params")
            entry = Entry(module, function, op.entry.pager, summary)
            out.append((replace(op, entry=entry, path_params=list(params)), note))
        return out

    def module_source(self, module: str) -> tuple[str, list[Operation]]:
        self.imp = Imports()
        self.imp.name("typing", "Final")
        ops = [op for op in self.ops if op.entry.module == module]
        decoders: dict[str, str] = {}
        consts: list[str] = []
        functions = [self.function(op, decoders, consts) for op in ops]
        aliases = self._aliases(module)
        functions += [self.function(op, decoders, consts, note) for op, note in aliases]
        names = sorted(op.entry.function for op in [*ops, *(alias for alias, _ in aliases)])
        endpoints = ", ".join(f"{op.operation_id!r}: {const(op.operation_id)}" for op in ops)
        out = [
            self.header,
            f'"""{MODULE_SUMMARIES[module]}"""\n',
            "from __future__ import annotations\n",
            *self.imp.lines(),
            f"\n__all__ = [{lit(['ENDPOINTS', *names])}]\n",
            *consts,
            f"\n#: This module's endpoints by operationId.\nENDPOINTS: Final = {{{endpoints}}}\n",
        ]
        out += ["\n" + "\n".join(f) + "\n" for f in functions]
        return "\n".join(out) + "\n", ops

    def api_init(self) -> str:
        out = [
            self.header,
            '"""One module per resource; ``OPERATIONS`` and ``ENDPOINTS`` by operationId."""\n',
            "from __future__ import annotations\n",
            "from collections.abc import Callable",
            "from typing import Any, Final\n",
            "from taskade_async._runtime import Operation",
            f"from taskade_async.api import {', '.join(sorted(MODULES))}\n",
            f"__all__ = [{lit(['ENDPOINTS', 'OPERATIONS', *sorted(MODULES)])}]\n",
            "#: Every operationId of the spec -> its generated function.",
            "OPERATIONS: Final[dict[str, Callable[..., Any]]] = {",
        ]
        out += [
            f"    {op.operation_id!r}: {op.entry.module}.{op.entry.function}," for op in self.ops
        ]
        out.append("}")
        out.append("#: Every operationId of the spec -> its Operation (for raw JSON access).")
        out.append("ENDPOINTS: Final[dict[str, Operation]] = {")
        out += [f"    **{m}.ENDPOINTS," for m in MODULES]
        out.append("}")
        return "\n".join(out) + "\n"

    def readme_block(self) -> str:
        v2 = sum(op.api == "v2" for op in self.ops)
        lines = [
            f"All {len(self.ops) - v2} operations of API v1 and the {v2} of API v2 that v1 lacks,",
            "generated from the official specs, one module per resource (``from",
            "taskade_async.api import tasks``); each takes the session first, then the ids",
            "in path order, then keyword arguments.",
            "",
        ]
        for module in MODULES:
            lines.append(f"``{module}``")
            lines.append(f"   {MODULE_SUMMARIES[module]}")
            lines.append("")
            for op in [
                *(op for op in self.ops if op.entry.module == module),
                *(op for op, _ in self._aliases(module)),
            ]:
                args = ["s", *(snake(p) for p in (*op.path_params, *op.positional_body))]
                kw = _readme_keywords(op)
                if kw:
                    args += ["*", *kw]
                sig = f"{module}.{op.entry.function}({', '.join(args)})"
                note = f" ({PAGERS[op.entry.pager].readme})" if op.entry.pager else ""
                lines.append(f"   - ``{sig}``{note}: {op.entry.summary}")
            lines.append("")
        return "\n".join(lines)


def _readme_keywords(op: Operation) -> list[str]:
    """The keyword arguments of a generated function, optional ones as ``name=…``."""
    kind = PAGERS[op.entry.pager] if op.entry.pager else None
    skip = kind.params if kind else ()
    body = [b for b in op.body if b.wire not in op.positional_body]
    params = [*(q for q in op.query if q.wire not in skip), *body]
    out = [p.name for p in params if p.required] + [f"{p.name}=…" for p in params if not p.required]
    if op.raw_body:
        out += ["data", "content_type=…"]
    if kind:
        out += [*(f"{p}=…" for p in kind.params), "max_items=…"]
    return out
