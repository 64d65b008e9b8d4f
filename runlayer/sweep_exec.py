"""Where a sweep's trials run: a pool of local worker processes (default) or a Ray cluster.

Both take TrialTasks and hand back the dicts netlib.sweep_trial.run_trial emits, in the order
they arrive, so the driver (runlayer/sweep_runner.py) never knows which one it has.

Local: one process per worker (spawned, so each has its own interpreter and one BLAS thread);
a worker keeps its prepared data between trials. A task is stopped (its point pruned) through a
shared flag the trial reads between batches. A worker that dies is reported as its task's end.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
from typing import Any

from netlib.sweep_trial import TrialTask

MAX_TASKS = 1000  # stop flags shared with the workers (points x seeds of one sweep)


def _worker(tasks, events, stop_flags) -> None:
    """A worker process: run tasks until a None arrives."""
    from netlib.blas import blas_threads
    from netlib.sweep_trial import run_trial

    blas_threads(set_to=1)
    cache: dict = {}
    while (item := tasks.get()) is not None:
        slot, task = item
        events.put({"kind": "start", "key": task.key, "pid": os.getpid(), "where": "local"})
        try:
            run_trial(task, events.put, lambda s=slot: bool(stop_flags[s]), cache)
        except Exception as exc:  # noqa: BLE001 - a failed trial is recorded; the sweep goes on
            reason = f"{type(exc).__name__}: {exc}"
            events.put({"kind": "end", "key": task.key, "status": "failed", "reason": reason})


class LocalExecutor:
    """`workers` processes on this machine (default: one per core)."""

    where = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        ctx = mp.get_context("spawn")
        self._tasks, self._events = ctx.Queue(), ctx.Queue()
        self._stop_flags = ctx.Array("b", MAX_TASKS, lock=False)
        self._slots: dict[tuple[int, int], int] = {}
        self._ctx, self._procs = ctx, []
        self._running: dict[int, tuple[int, int]] = {}  # worker pid -> the task it runs
        for _ in range(self.workers):
            self._spawn()

    def _spawn(self) -> None:
        proc = self._ctx.Process(
            target=_worker, args=(self._tasks, self._events, self._stop_flags), daemon=True
        )
        proc.start()
        self._procs.append(proc)

    def submit(self, task: TrialTask) -> None:
        slot = len(self._slots)
        if slot >= MAX_TASKS:
            raise RuntimeError(f"a sweep runs at most {MAX_TASKS} trials")
        self._slots[task.key] = slot
        self._tasks.put((slot, task))

    def stop(self, key: tuple[int, int]) -> None:
        if key in self._slots:
            self._stop_flags[self._slots[key]] = 1

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        try:
            event = self._events.get(timeout=timeout)
        except queue.Empty:
            return self._died()
        if event["kind"] == "start":
            self._running[event["pid"]] = event["key"]
        elif event["kind"] == "end":
            self._running = {p: k for p, k in self._running.items() if k != event["key"]}
        return event

    def _died(self) -> dict[str, Any] | None:
        """A worker killed mid-trial (out of memory, a signal): its trial ends as failed and
        a new worker takes its place."""
        for proc in list(self._procs):
            if proc.is_alive():
                continue
            self._procs.remove(proc)
            self._spawn()
            key = self._running.pop(proc.pid, None)
            if key is not None:
                reason = f"its worker process died (exit code {proc.exitcode})"
                return {"kind": "end", "key": key, "status": "failed", "reason": reason}
        return None

    def close(self) -> None:
        for _ in self._procs:
            self._tasks.put(None)
        for proc in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
