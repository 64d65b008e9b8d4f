"""Augmentation's cost against the training step it precedes (issue 21): target, augmenting a
batch costs less than training on it.

    python bench/bench_augment.py [--batch 64] [--reps 200]

One batch of 28x28 images, one BLAS thread (as the dashboard trains). A training step is a
forward pass, a backward pass and an SGD update of the network; each augmentation is timed on
the same batch. Medians of --reps, measured in the same run, reported as ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import numpy_blas_threads  # also puts the repository on sys.path

from netlib import augment, nets
from netlib.config import NetConfig
from netlib.losses import LOSSES

NETWORKS = {
    "784-256-10 relu": NetConfig(hidden=(256,), activation="relu"),
    "conv8k5 pool2 dense32": NetConfig(layers="conv8k5 pool2 dense32", activation="relu"),
}


def median_seconds(fn, reps: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def train_step(net, x, y, loss):
    def step():
        logits, cache = net.forward(x, True) if not hasattr(net, "sizes") else net.forward(x)
        _, grad = loss.value_and_grad(logits, y)
        grads, _ = net.backward(cache, grad)
        for p, g in zip(net.params(), grads, strict=True):
            p -= 0.01 * g

    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reps", type=int, default=200)
    args = ap.parse_args()
    numpy_blas_threads(1)
    rng = np.random.default_rng(0)
    x = rng.random((args.batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)
    shape = (28, 28)
    augments = {
        "rotation +-15 deg, scale +-10 %": lambda: augment.affine(x, shape, rng, 15, 0.1),
        "elastic (alpha 34, sigma 4)": lambda: augment.elastic(x, shape, rng),
        "noise (sigma 0.1)": lambda: augment.noise(x, rng, 0.1),
        "warp bank (rotation+scale+elastic)": lambda: bank.apply(x, rng),
    }
    bank = augment.WarpBank(shape, rng, 512, degrees=15, scale=0.1, alpha=34, sigma=4)
    cost = {name: median_seconds(fn, args.reps) for name, fn in augments.items()}
    t0 = time.perf_counter()
    augment.WarpBank(shape, rng, 512, degrees=15, scale=0.1, alpha=34, sigma=4)
    print(f"drawing a bank of 512 warps: {(time.perf_counter() - t0) * 1e3:.0f} ms (once an epoch)")
    for net_name, config in NETWORKS.items():
        net = nets.create(config, shape, 10, np.random.default_rng(1))
        step = median_seconds(train_step(net, x, y, LOSSES["cross_entropy"]), args.reps)
        print(f"{net_name}: training step {step * 1e3:.2f} ms (batch {args.batch})")
        for name, seconds in cost.items():
            print(f"  {name:32s} {seconds * 1e3:6.2f} ms = {seconds / step:.2f}x the step"
                  f"{'' if seconds < step else '  (target < 1x: not met)'}")  # fmt: skip


if __name__ == "__main__":
    main()
