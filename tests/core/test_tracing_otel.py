"""OpenTelemetry's aiohttp instrumentation through Session(trace_configs=...), spans named by op."""

from __future__ import annotations

import aiohttp
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.aiohttp_client import create_trace_config
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import taskade_async as tk
from taskade_async.api import projects, tasks
from taskade_async.testing import FakeTaskade


async def _name_by_operation(
    session: aiohttp.ClientSession, ctx: object, params: aiohttp.TraceRequestStartParams
) -> None:
    op = getattr(ctx, "trace_request_ctx", None)
    if isinstance(op, tk.Operation):
        trace.get_current_span().update_name(op.operation_id)


async def test_spans_are_named_by_operation_id(taskade_fake: FakeTaskade) -> None:
    """Each request is one client span named by its operationId; a 404 span is an error."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    names = aiohttp.TraceConfig()
    names.on_request_start.append(_name_by_operation)
    project = taskade_fake.add_project(taskade_fake.add_workspace("W"), "P")
    task = taskade_fake.add_task(project, "t")
    configs = [create_trace_config(tracer_provider=provider), names]
    async with tk.Session(
        taskade_fake.token, base_url=taskade_fake.base_url, trace_configs=configs
    ) as s:
        await projects.get(s, project.id)
        await tasks.get(s, project.id, task.id)
        with pytest.raises(tk.NotFoundError):
            await projects.get(s, "nope")
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == ["projectGet", "taskGet", "projectGet"]
    assert all(span.kind is SpanKind.CLIENT for span in spans)
    assert spans[0].status.status_code is not StatusCode.ERROR
    assert spans[2].status.status_code is StatusCode.ERROR
    provider.shutdown()
