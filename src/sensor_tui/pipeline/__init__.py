"""The ingest pipeline: `Pipeline` (the facade) and what travels through it.

Modules, one job each: `facade` (the public API), `detect` (scores and alarms, in the sender's
thread), `writer` (the one write connection, group commit, retries), `retry` (the backoff
schedule; keeps time only), `outcomes` (counters, futures, dead letter), `fanout` (subscribers),
`deadletter` (the JSONL file), `batches` (what travels).
"""

from sensor_tui.pipeline.batches import (
    Batch,
    BatchResult,
    NotDurable,
    PipelineStopped,
    RetryPolicy,
    StoredBatch,
    Subscriber,
    iter_groups,
)
from sensor_tui.pipeline.deadletter import DeadLetter, ReplayResult
from sensor_tui.pipeline.detect import WARM_HISTORY
from sensor_tui.pipeline.facade import Pipeline

__all__ = [
    "WARM_HISTORY",
    "Batch",
    "BatchResult",
    "DeadLetter",
    "NotDurable",
    "Pipeline",
    "PipelineStopped",
    "ReplayResult",
    "RetryPolicy",
    "StoredBatch",
    "Subscriber",
    "iter_groups",
]
