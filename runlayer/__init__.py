"""The run layer: training runs in background threads, recorded in SQLite, watched live.

Pages need three names: RunRegistry (start and steer runs; one per process), its .store
(RunStore: the history of every run) and the LiveSnapshot a live run hands out.
"""

from runlayer.errors import NoWeightsError, RunError, RunNotFoundError, StoreError
from runlayer.live import LiveRun, LiveSnapshot
from runlayer.paths import default_home
from runlayer.records import ACTIVE_STATUSES, FINAL_STATUSES, RunRecord, RunStatus
from runlayer.registry import RunRegistry, default_loader
from runlayer.store import RunStore

__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "LiveRun",
    "LiveSnapshot",
    "NoWeightsError",
    "RunError",
    "RunNotFoundError",
    "RunRecord",
    "RunRegistry",
    "RunStatus",
    "RunStore",
    "StoreError",
    "default_home",
    "default_loader",
]
