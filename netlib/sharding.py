"""Data-parallel steps for convolutional stacks: each batch in two fixed shards, one per core.

Most of a convolutional step is not matrix products but copies, pooling and activations:
numpy runs each of those on one core, while the products alone use every BLAS thread. So a
batch is split into SHARDS fixed halves; each half runs forward and backward on its own
replica of the stack (the same parameter arrays, its own scratch buffers), the halves' logits
meet for one loss over the whole batch, and their gradients are summed in a fixed order.
numpy releases the GIL inside ufuncs and BLAS, so two threads keep both cores busy with one
BLAS thread each (bench/README.md has the figures).

Results never depend on the number of workers: the shards are the same with one worker (run
one after the other) or two (run side by side), and so are the bits of every weight. Stacks
with batch norm are not sharded (its statistics belong to the whole batch); fully connected
networks train as netlib.network's MLP and never come here.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from netlib.layer_stack import LayerStack
from netlib.layers import BatchNorm, Conv2D, Dropout

SHARDS = 2
# Per-layer attributes a replica keeps for itself: scratch buffers and dropout generators.
_OWN = ("_pool", "_pad_buf", "rng")


def shardable(net: object) -> bool:
    """A stack with a convolution and no batch norm: what sharding speeds up and keeps exact."""
    if not isinstance(net, LayerStack):
        return False
    kinds = [type(layer) for layer in net.layers]
    return Conv2D in kinds and BatchNorm not in kinds


def _bounds(rows: int) -> list[tuple[int, int]]:
    """The fixed shards of a batch of `rows` (fewer when there are fewer rows)."""
    cuts = np.linspace(0, rows, min(SHARDS, rows) + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]


class ShardedStack:
    """Train steps and inference of `net` in shards, on `workers` threads (1 or more)."""

    def __init__(self, net: LayerStack, workers: int = 1) -> None:
        if not shardable(net):
            raise ValueError(f"{net!r} cannot be sharded (no convolution, or batch norm)")
        self.net = net
        self.workers = max(1, min(int(workers), SHARDS))
        self._replicas = [self._replica() for _ in range(SHARDS)]
        self._has_dropout = any(isinstance(layer, Dropout) for layer in net.layers)
        self._threads = ThreadPoolExecutor(self.workers - 1) if self.workers > 1 else None

    def close(self) -> None:
        if self._threads is not None:
            self._threads.shutdown(wait=True)
            self._threads = None

    def __enter__(self) -> ShardedStack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- replicas ----------------------------------------------------------------------------
    def _replica(self) -> LayerStack:
        rep = copy.copy(self.net)
        rep.layers = [copy.copy(layer) for layer in self.net.layers]
        for layer in rep.layers:
            if isinstance(layer, Conv2D):
                layer.own_buffers()
        return rep

    def _refresh(self) -> None:
        """Point every replica at the network's current arrays (a restore may replace them)."""
        for rep in self._replicas:
            for own, layer in zip(rep.layers, self.net.layers, strict=True):
                for key, value in vars(layer).items():
                    if key not in _OWN:
                        setattr(own, key, value)

    def _map(self, fn, jobs: list) -> list:
        """fn(*job) for every job, the first on this thread, the others on the workers."""
        if self._threads is None or len(jobs) == 1:
            return [fn(*job) for job in jobs]
        later = [self._threads.submit(fn, *job) for job in jobs[1:]]
        first = fn(*jobs[0])
        return [first, *(f.result() for f in later)]

    # ---- training ----------------------------------------------------------------------------
    def forward_train(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Any]:
        """Logits of the whole batch (train mode) and what backward needs. Dropout masks come
        from generators seeded from `rng`, one per shard, whatever the number of workers."""
        self._refresh()
        bounds = _bounds(len(x))
        if self._has_dropout:
            seeds = rng.integers(0, 2**63, size=len(bounds))
            for rep, seed in zip(self._replicas, seeds, strict=False):
                rep.set_dropout_rng(np.random.default_rng(int(seed)))
        jobs = [(rep, x[a:b]) for rep, (a, b) in zip(self._replicas, bounds, strict=False)]
        outs = self._map(lambda rep, xs: rep.forward(xs, train=True), jobs)
        logits = np.concatenate([out[0] for out in outs])
        return logits, (bounds, [out[1] for out in outs])

    def backward(self, cache: Any, dlogits: np.ndarray, l2: float = 0.0) -> list[np.ndarray]:
        """Gradients in params() order: the shards' sums (in shard order), plus l2 * W."""
        bounds, caches = cache
        jobs = [
            (rep, c, dlogits[a:b])
            for rep, c, (a, b) in zip(self._replicas, caches, bounds, strict=False)
        ]
        parts = self._map(lambda rep, c, d: rep.backward(c, d)[0], jobs)
        grads = parts[0]
        for part in parts[1:]:
            grads = [g + h for g, h in zip(grads, part, strict=True)]
        if l2:
            weights = {id(w) for w in self.net.weights()}
            grads = [
                g + l2 * p if id(p) in weights else g
                for g, p in zip(grads, self.net.params(), strict=True)
            ]
        return grads

    # ---- inference ---------------------------------------------------------------------------
    def logits(self, x: np.ndarray) -> np.ndarray:
        """net.logits(x), its chunks shared out between the workers (the same chunk size)."""
        self._refresh()
        rows = self.net.eval_rows()
        starts = list(range(0, len(x), rows))
        if self._threads is None or len(starts) < 2:
            return self.net.logits(x)
        reps = self._replicas

        def run(worker: int) -> list[np.ndarray]:
            mine = starts[worker :: len(reps)]
            return [reps[worker].forward(x[s : s + rows], False)[0] for s in mine]

        done = self._map(run, [(w,) for w in range(len(reps))])
        ordered = [done[i % len(reps)][i // len(reps)] for i in range(len(starts))]
        return np.concatenate(ordered)
