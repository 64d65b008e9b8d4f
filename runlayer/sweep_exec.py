"""Where a sweep's trials run: a pool of local worker processes (default) or a Ray cluster.

Both take TrialTasks and hand back the dicts netlib.sweep_trial.run_trial emits, in the order
they arrive, so the driver (runlayer/sweep_runner.py) never knows which one it has.

Local: one process per worker (spawned, so each has its own interpreter and one BLAS thread);
a worker keeps its prepared data between trials. Each worker has its own pipe both ways (no
queue shared between processes: a worker killed while writing to a shared queue can leave its
lock held and every other worker stuck), and the executor hands a task to a worker only when
it is idle. A task is stopped (its point pruned) through a shared flag the trial reads between
batches. A worker that dies is reported as its task's end, and a new one takes its place.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import threading
from multiprocessing.connection import wait
from typing import Any

from netlib.sweep import EXECUTORS
from netlib.sweep_trial import TrialTask

MAX_WORKERS = 256
MAX_TASKS = 1000  # stop flags shared with the workers (points x seeds of one sweep)


def _worker(conn, stop_flags) -> None:
    """A worker process: run the tasks its pipe brings until a None arrives."""
    from netlib.blas import blas_threads
    from netlib.sweep_trial import run_trial

    blas_threads(set_to=1)
    import netlib.trainer  # noqa: F401 - the engine loaded before the first task, not in it

    conn.send({"kind": "ready", "pid": os.getpid()})
    cache: dict = {}
    while (item := conn.recv()) is not None:
        slot, task = item
        where = f"local worker, pid {os.getpid()}"
        conn.send({"kind": "start", "key": task.key, "pid": os.getpid(), "where": where})
        try:
            run_trial(task, conn.send, lambda s=slot: bool(stop_flags[s]), cache)
        except Exception as exc:  # noqa: BLE001 - a failed trial is recorded; the sweep goes on
            reason = f"{type(exc).__name__}: {exc}"
            conn.send({"kind": "end", "key": task.key, "status": "failed", "reason": reason})


class LocalExecutor:
    """`workers` processes on this machine (default: one per core)."""

    where = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._ctx = mp.get_context("spawn")
        self._stop_flags = self._ctx.Array("b", MAX_TASKS, lock=False)
        self._slots: dict[tuple[int, int], int] = {}
        self._pending: list[TrialTask] = []  # submitted, waiting for an idle worker
        self._procs: dict[Any, Any] = {}  # driver's end of a worker's pipe -> the process
        self._busy: dict[Any, tuple[int, int]] = {}  # pipe -> the task its worker runs
        for _ in range(self.workers):
            self._spawn()
        for conn in list(self._procs):  # start-up: every worker has loaded the engine
            self._ready(conn)

    def _ready(self, conn) -> None:
        try:
            conn.recv()
        except (EOFError, OSError):
            raise RuntimeError("a sweep worker process could not start") from None

    def _spawn(self) -> None:
        here, there = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=_worker, args=(there, self._stop_flags), daemon=True)
        proc.start()
        there.close()
        self._procs[here] = proc

    def submit(self, task: TrialTask) -> None:
        if len(self._slots) >= MAX_TASKS:
            raise RuntimeError(f"a sweep runs at most {MAX_TASKS} trials")
        self._slots[task.key] = len(self._slots)
        self._pending.append(task)
        self._dispatch()

    def _dispatch(self) -> None:
        for conn in self._procs:
            if not self._pending:
                return
            if conn not in self._busy:
                task = self._pending.pop(0)
                self._busy[conn] = task.key
                conn.send((self._slots[task.key], task))

    def stop(self, key: tuple[int, int]) -> None:
        if key in self._slots:
            self._stop_flags[self._slots[key]] = 1

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        ready = wait(list(self._procs), timeout)
        if not ready:
            return None
        conn = ready[0]
        try:
            event = conn.recv()
        except (EOFError, OSError):  # the worker died: its trial failed, a new worker comes
            return self._replace(conn)
        if event["kind"] == "ready":  # a replacement worker has started
            return None
        if event["kind"] == "end":
            self._busy.pop(conn, None)
            self._dispatch()
        return event

    def _replace(self, conn) -> dict[str, Any] | None:
        proc = self._procs.pop(conn)
        proc.join(timeout=5)
        conn.close()
        key = self._busy.pop(conn, None)
        self._spawn()
        self._dispatch()
        if key is None:
            return None
        reason = f"its worker process died (exit code {proc.exitcode})"
        return {"kind": "end", "key": key, "status": "failed", "reason": reason}

    def close(self) -> None:
        for conn in self._procs:
            with contextlib.suppress(OSError):  # a worker that died has no pipe left
                conn.send(None)
        for conn, proc in self._procs.items():
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
            conn.close()


def _ray_trial(task: TrialTask, dataset, events, board) -> None:
    """A Ray task: one trial on whichever node Ray chose, its events into the driver's queue."""
    import socket
    import time

    import ray

    from netlib.blas import blas_threads
    from netlib.sweep_trial import run_trial

    blas_threads(set_to=1)
    looked = {"at": 0.0, "stop": False}

    def should_stop() -> bool:  # asks the board at most once a second
        if time.monotonic() - looked["at"] > 1.0:
            looked["at"] = time.monotonic()
            looked["stop"] = bool(ray.get(board.stopped.remote(task.key)))
        return looked["stop"]

    node = ray.get_runtime_context().get_node_id()[:8]
    where = f"ray node {node} on {socket.gethostname()}, pid {os.getpid()}"
    # Events go to the driver's queue from a thread of their own, in order: each put is a
    # remote call, and the training should not wait for it (it did: +20 % per trial).
    outbox: queue.SimpleQueue = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, events), daemon=True)
    sender.start()
    try:
        outbox.put({"kind": "start", "key": task.key, "pid": os.getpid(), "where": where})
        run_trial(task, outbox.put, should_stop, _RAY_WORKER_CACHE, dataset=dataset)
    finally:
        outbox.put(None)
        sender.join()


def _send_all(outbox, events) -> None:
    while (item := outbox.get()) is not None:
        events.put(item)


_RAY_WORKER_CACHE: dict = {}  # a Ray worker process keeps its prepared data between trials


def _ray_ready() -> int:
    """A first call on a Ray worker: it imports the engine before the first trial needs it."""
    import netlib.trainer  # noqa: F401

    return os.getpid()


class _StopBoard:
    """The keys of the trials told to stop (a Ray actor the trials ask)."""

    def __init__(self) -> None:
        self.keys: set = set()

    def stop(self, key) -> None:
        self.keys.add(tuple(key))

    def stopped(self, key) -> bool:
        return tuple(key) in self.keys


class RayExecutor:
    """Trials as Ray tasks, one CPU each, on the cluster at `address` (or
    $DIGITNET_RAY_ADDRESS), else on a Ray runtime started here. The code goes to the workers
    as py_modules; each data set is shipped once (ray.put). Needs `pip install -r
    requirements-ray.txt`."""

    where = "ray"

    def __init__(
        self, address: str | None = None, workers: int | None = None, datasets=None
    ) -> None:
        try:
            import ray
            from ray.util.queue import Queue
        except ImportError:
            raise RuntimeError(
                "Ray is not installed: pip install -r requirements-ray.txt"
            ) from None
        import netlib
        import runlayer

        self._ray = ray
        address = address or os.environ.get("DIGITNET_RAY_ADDRESS") or None
        self._owned = not ray.is_initialized()
        if self._owned:
            modules = [os.path.dirname(netlib.__file__), os.path.dirname(runlayer.__file__)]
            options: dict[str, Any] = {"runtime_env": {"py_modules": modules}}
            if address is None:
                # A runtime of its own on this machine, reachable on 127.0.0.1 only.
                options |= {
                    "num_cpus": workers or os.cpu_count() or 1,
                    "include_dashboard": False,
                    "_node_ip_address": "127.0.0.1",
                }
            ray.init(address=address, log_to_driver=False, **options)
        self.workers = max(1, int(workers or ray.cluster_resources().get("CPU", 1)))
        self._events = Queue()
        self._board = ray.remote(_StopBoard).remote()
        self._trial = ray.remote(num_cpus=1, max_retries=0)(_ray_trial)
        # Start-up, paid here and not by the first trials: every worker process up and ready.
        ready = ray.remote(num_cpus=1)(_ray_ready)
        ray.get([ready.remote() for _ in range(self.workers)])
        self._data: dict[tuple, Any] = {}  # (dataset, mnist_dir) -> its object ref
        for key, dataset in (datasets or {}).items():  # already loaded by the caller: not twice
            self._data[key] = ray.put(dataset)
        self._refs: dict[Any, tuple[int, int]] = {}

    def _dataset(self, task: TrialTask):
        from netlib.config import NetConfig
        from netlib.data.catalog import load_dataset

        name = NetConfig.from_dict(task.config).dataset
        key = (name, task.mnist_dir)
        if key not in self._data:  # loaded here, shipped once to the cluster's object store
            self._data[key] = self._ray.put(load_dataset(name, mnist_dir=task.mnist_dir))
        return self._data[key]

    def submit(self, task: TrialTask) -> None:
        ref = self._trial.remote(task, self._dataset(task), self._events, self._board)
        self._refs[ref] = task.key

    def stop(self, key: tuple[int, int]) -> None:
        self._board.stop.remote(key)

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        from ray.util.queue import Empty

        try:
            return self._events.get(timeout=timeout)
        except Empty:
            return self._failed()

    def _failed(self) -> dict[str, Any] | None:
        """A task that raised or whose worker died: its trial ends as failed. (A task that
        returned put its own end event in the queue before returning.)"""
        ready, _ = self._ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        for ref in ready:
            key = self._refs.pop(ref)
            try:
                self._ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - whatever killed it, the sweep goes on
                reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                return {"kind": "end", "key": key, "status": "failed", "reason": reason}
        return None

    def close(self) -> None:
        if self._owned:
            self._ray.shutdown()


def make_executor(kind: str, workers: int | None = None, address: str = "", datasets=None):
    """The executor a sweep asked for: "local" (worker processes here) or "ray" (the cluster at
    address, or $DIGITNET_RAY_ADDRESS, or a runtime of its own on this machine). `datasets`
    maps (name, mnist_dir) to a data set the caller already loaded, so Ray ships that one
    instead of loading it again (local workers load their own, once per process)."""
    if kind not in EXECUTORS:
        raise ValueError(f"executor {kind!r}: use one of {', '.join(EXECUTORS)}")
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers {workers}: use 1..{MAX_WORKERS}")
    if kind == "ray":
        return RayExecutor(address=address.strip() or None, workers=workers, datasets=datasets)
    return LocalExecutor(workers)
