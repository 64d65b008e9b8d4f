"""The run layer: training runs in background threads, recorded in SQLite, watched live.

Pages need three names: RunRegistry (start and steer runs; one per process), its .store
(RunStore: the history of every run) and the LiveSnapshot a live run hands out.

Names are imported on first use (netlib/lazy.py says why).
"""

from netlib.lazy import lazy_exports

_EXPORTS = {
    "ACTIVE_STATUSES": "runlayer.records",
    "FINAL_STATUSES": "runlayer.records",
    "LiveRun": "runlayer.live",
    "LiveSnapshot": "runlayer.live",
    "NoWeightsError": "runlayer.errors",
    "RunError": "runlayer.errors",
    "RunNotFoundError": "runlayer.errors",
    "RunRecord": "runlayer.records",
    "RunRegistry": "runlayer.registry",
    "RunStatus": "runlayer.records",
    "RunStore": "runlayer.store",
    "StoreError": "runlayer.errors",
    "default_home": "runlayer.paths",
    "default_loader": "runlayer.registry",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
