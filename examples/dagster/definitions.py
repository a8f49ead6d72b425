"""Dagster definitions: a Taskade account into DuckDB with dlt, one partition per shard.

    pip install 'taskade-async[dlt]' dagster dagster-dlt
    export TASKADE_SHARDS=4 TASKADE_TOKEN_0=... TASKADE_TOKEN_1=... (one token per shard)
    dagster dev -f examples/dagster/definitions.py

Each partition ``i`` loads shard ``i`` of ``TASKADE_SHARDS`` with its own token
(``TASKADE_TOKEN_<i>``, else ``TASKADE_TOKEN``) into its own dlt pipeline
(``taskade_shard_<i>_of_<n>``: its own state), and all of them into one dataset
of ``TASKADE_DUCKDB`` (default ``taskade.duckdb``). Limit runs to one per
partition (a pool of 1 per token): see docs/scaling.rst.
"""

import os
from collections.abc import Iterator
from typing import Any

import dagster as dg
import dlt
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from taskade_async.dlt import taskade_source

SHARDS = int(os.environ.get("TASKADE_SHARDS", "4"))
DATASET = "taskade_data"
shards = dg.StaticPartitionsDefinition([str(i) for i in range(SHARDS)])


def shard_pipeline(i: int) -> dlt.Pipeline:
    """Shard ``i``'s pipeline: its own name and state, the common DuckDB file and dataset."""
    database = os.environ.get("TASKADE_DUCKDB", "taskade.duckdb")
    return dlt.pipeline(
        f"taskade_shard_{i}_of_{SHARDS}",
        destination=dlt.destinations.duckdb(database),
        dataset_name=DATASET,
    )


def shard_token(i: int) -> str:
    """Shard ``i``'s token: one per shard, so that shards never share a rate limit."""
    token = os.environ.get(f"TASKADE_TOKEN_{i}") or os.environ.get("TASKADE_TOKEN")
    if not token:
        raise dg.Failure(f"no token for shard {i}: set TASKADE_TOKEN_{i}")
    return token


@dlt_assets(
    # Names the assets (one per table); each run makes its own shard's source below.
    dlt_source=taskade_source("unused-at-definition", shard=(0, SHARDS)),
    dlt_pipeline=shard_pipeline(0),
    name="taskade",
    group_name="taskade",
    partitions_def=shards,
)
def taskade_tables(context: AssetExecutionContext, dlt: DagsterDltResource) -> Iterator[Any]:
    """Load this partition's shard of the account: a full refresh, merged on id."""
    i = int(context.partition_key)
    source = taskade_source(shard_token(i), shard=(i, SHARDS))
    yield from dlt.run(context=context, dlt_source=source, dlt_pipeline=shard_pipeline(i))


defs = dg.Definitions(assets=[taskade_tables], resources={"dlt": DagsterDltResource()})
