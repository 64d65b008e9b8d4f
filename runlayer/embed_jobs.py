"""Slow 2-D maps (t-SNE) computed off the page thread, one at a time, cached (issue 20).

A page asks for a map by key (run, epoch, layer, samples) with a function that computes the
features; the first ask starts a background thread, later asks read its progress, and a
finished map stays cached (the last MAX_MAPS). A failure is kept as its message, so the page
says it once instead of retrying on every rerun. Shared by every tab of the server.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np

from netlib import embedding

MAX_MAPS = 8


@dataclass
class MapJob:
    state: str = "running"  # running | done | failed
    progress: float = 0.0
    result: np.ndarray | None = None
    error: str = ""


class EmbeddingJobs:
    def __init__(self, method: Callable = embedding.tsne_2d) -> None:
        self._method = method
        self._jobs: OrderedDict[Hashable, MapJob] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._busy = threading.Lock()  # one fit at a time: each uses a whole core

    def request(self, key: Hashable, features: Callable[[], np.ndarray]) -> MapJob:
        """The job for key, started now if it is new (features() runs in the thread too)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                self._jobs.move_to_end(key)
                return job
            job = self._jobs[key] = MapJob()
            while len(self._jobs) > MAX_MAPS:
                old_key = next(iter(self._jobs))
                if self._jobs[old_key].state == "running":
                    break  # never drop a running job: the page watching it would lose it
                del self._jobs[old_key]
        threading.Thread(target=self._run, args=(job, features), daemon=True,
                         name="digit-net-map").start()  # fmt: skip
        return job

    def _run(self, job: MapJob, features: Callable[[], np.ndarray]) -> None:
        def heard(fraction: float) -> bool:
            job.progress = fraction
            return self._closed.is_set()

        with self._busy:
            try:
                job.result = self._method(features(), progress=heard)
                job.progress, job.state = 1.0, "done"
            except Exception as exc:  # noqa: BLE001 - any failure is shown, never raised
                job.error, job.state = f"{type(exc).__name__}: {exc}", "failed"

    def shutdown(self) -> None:
        """Running fits stop at their next progress report."""
        self._closed.set()
