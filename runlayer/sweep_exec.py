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

import collections
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


def _ray_trial(task: TrialTask | None, dataset, mailbox) -> int | None:
    """A Ray task: one trial on whichever node Ray chose, its events into the sweep's mailbox.
    Without a task it only readies the worker: the engine imported, this function known."""
    if task is None:
        import netlib.trainer  # noqa: F401 - loaded before the first trial, not in it

        return os.getpid()
    import socket

    import ray

    from netlib.blas import blas_threads
    from netlib.sweep_trial import run_trial

    blas_threads(set_to=1)
    node = ray.get_runtime_context().get_node_id()[:8]
    where = f"ray node {node} on {socket.gethostname()}, pid {os.getpid()}"
    # Events go to the mailbox from a thread of their own, in order and in batches: each put
    # is a remote call whose CPU the training's cores pay, and the training does not wait for
    # it (it did: +20 % per trial). The put's answer says whether the trial was told to stop.
    outbox: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    sender = threading.Thread(target=_send_all, args=(outbox, mailbox, task.key, stop), daemon=True)
    sender.start()
    try:
        outbox.put({"kind": "start", "key": task.key, "pid": os.getpid(), "where": where})
        run_trial(task, outbox.put, stop.is_set, _RAY_WORKER_CACHE, dataset=dataset)
    finally:
        outbox.put(None)
        sender.join()
    return None


def _send_all(outbox, mailbox, key, stop: threading.Event) -> None:
    """Every SEND_EVERY, the events that came meanwhile as one put (a trial's 20 epochs in a
    second were 21 remote calls; now they are two); with none, a put at most every ASK_EVERY,
    only to hear of a stop. The end goes at once."""
    import time

    import ray

    ended, last = False, 0.0
    while not ended:
        batch: list = []
        deadline = time.monotonic() + SEND_EVERY
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = outbox.get(timeout=left)
            except queue.Empty:
                break
            if item is None:
                ended = True
                break
            batch.append(item)
        if batch or ended or time.monotonic() - last >= ASK_EVERY:
            last = time.monotonic()
            if ray.get(mailbox.put.remote(key, batch)):
                stop.set()


SEND_EVERY = 0.5  # seconds: the most a Ray trial's event waits before it is sent
ASK_EVERY = 1.0  # seconds: how often a trial with nothing to send asks whether to stop


_RAY_WORKER_CACHE: dict = {}  # a Ray worker process keeps its prepared data between trials


class _Mailbox:
    """The one actor between a sweep's driver and its Ray trials: trials put their events,
    the driver takes all that came in one call, and a put answers whether that trial was told
    to stop. (It replaced a ray.util.queue.Queue and a second actor for the stops: each
    actor and call costs CPU on the cores the trials train on.)"""

    def __init__(self) -> None:
        import asyncio

        self.events: list = []
        self.arrived = asyncio.Event()
        self.stopped: set = set()

    async def put(self, key, batch: list) -> bool:
        if batch:
            self.events.extend(batch)
            self.arrived.set()
        return tuple(key) in self.stopped

    async def take(self, timeout: float) -> list:
        import asyncio

        if not self.events:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout)
        taken, self.events = self.events, []
        self.arrived.clear()
        return taken

    async def stop(self, key) -> None:
        self.stopped.add(tuple(key))


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
        self._mailbox = ray.remote(num_cpus=0)(_Mailbox).remote()
        # The mailbox in a process of its own first: created after the workers, it took one
        # of them, and the first trials waited for a new worker to start.
        ray.get(self._mailbox.put.remote((-1, -1), []))
        self._trial = ray.remote(num_cpus=1, max_retries=0)(_ray_trial)
        # Start-up, paid here and not by the first trials: every worker process up, the engine
        # imported and the trial function exported (its first call took 0.3 s of the sweep).
        ray.get([self._trial.remote(None, None, None) for _ in range(self.workers)])
        self._data: dict[tuple, Any] = {}  # (dataset, mnist_dir) -> its object ref
        for key, dataset in (datasets or {}).items():  # already loaded by the caller: not twice
            self._data[key] = ray.put(dataset)
        self._refs: dict[Any, tuple[int, int]] = {}
        self._arrived: collections.deque = collections.deque()  # events of a batch not read yet

    def _dataset(self, task: TrialTask):
        from netlib.config import NetConfig
        from netlib.data.catalog import load_dataset

        name = NetConfig.from_dict(task.config).dataset
        key = (name, task.mnist_dir)
        if key not in self._data:  # loaded here, shipped once to the cluster's object store
            self._data[key] = self._ray.put(load_dataset(name, mnist_dir=task.mnist_dir))
        return self._data[key]

    def submit(self, task: TrialTask) -> None:
        ref = self._trial.remote(task, self._dataset(task), self._mailbox)
        self._refs[ref] = task.key

    def stop(self, key: tuple[int, int]) -> None:
        self._mailbox.stop.remote(key)

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        if not self._arrived:
            self._arrived.extend(self._ray.get(self._mailbox.take.remote(timeout)))
            if not self._arrived:
                return self._failed()
        return self._arrived.popleft()

    def _failed(self) -> dict[str, Any] | None:
        """A task that raised or whose worker died: its trial ends as failed. (A task that
        returned put its own end event in the mailbox before returning.)"""
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
        else:  # a runtime someone else started: only this sweep's mailbox goes
            self._ray.kill(self._mailbox)


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
