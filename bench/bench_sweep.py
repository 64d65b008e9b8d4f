"""Sweep executors (issue 19): trials per minute with 2 local workers against 1, and the Ray
executor's overhead per trial against local processes on the same sweep.

    python bench/bench_sweep.py [--points 8] [--epochs 6] [--skip-ray]

One sweep of small MLP trials on the bundled MNIST sample (grid over widths x rates, one seed).
Each executor is started first and timed from the sweep's start to its end (start-up reported
apart); the rows run interleaved, --reps times each, and the medians are compared.
Targets: 2 workers >= 1.7x the trials per minute of 1; Ray <= 10 % more time per trial.
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import ROOT  # noqa: F401 - puts the repository on sys.path

from netlib.config import NetConfig
from netlib.sweep import SweepPlan
from netlib.sweep_space import parse_axes
from runlayer.sweep_exec import LocalExecutor, RayExecutor
from runlayer.sweep_runner import run_sweep


def plan(points: int, epochs: int) -> SweepPlan:
    base = NetConfig(
        dataset="mnist-sample", hidden=(64,), activation="relu", epochs=epochs, lr=0.1,
        batch_size=64, val_fraction=0.1,
    )  # fmt: skip
    widths = "|".join(str(32 * (i + 1)) for i in range(points // 2))
    return SweepPlan(base, tuple(parse_axes([f"hidden={widths}", "lr=0.05|0.2"])))


def timed(make, p: SweepPlan) -> tuple[float, float]:
    t0 = time.perf_counter()
    executor = make()
    started = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        out = run_sweep(p, executor)
        seconds = time.perf_counter() - t0
    finally:
        executor.close()
    assert all(r.state == "complete" for r in out.points), [r.row() for r in out.points]
    return started, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    p = plan(args.points, args.epochs)
    makers = {
        "local, 1 worker": lambda: LocalExecutor(1),
        "local, 2 workers": lambda: LocalExecutor(2),
    }
    if not args.skip_ray:
        makers["ray, 2 CPUs"] = lambda: RayExecutor(workers=2)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in makers}
    for _ in range(args.reps):
        for name, make in makers.items():
            runs[name].append(timed(make, p))
    n = p.points_planned
    median = {name: statistics.median(s for _, s in r) for name, r in runs.items()}
    for name, r in runs.items():
        start = statistics.median(a for a, _ in r)
        print(f"{name:18s}: {n} trials in {median[name]:.1f} s (median of {len(r)}) = "
              f"{60 * n / median[name]:.1f} trials/min; start-up {start:.1f} s")  # fmt: skip
    speedup = median["local, 1 worker"] / median["local, 2 workers"]
    print(f"2 workers / 1 worker: {speedup:.2f}x trials per minute (target >= 1.7)")
    if "ray, 2 CPUs" in median:
        overhead = median["ray, 2 CPUs"] / median["local, 2 workers"] - 1
        ray_runs, local_runs = runs["ray, 2 CPUs"], runs["local, 2 workers"]
        pairs = sorted(  # each rep's Ray row against the local row run just before it
            r / lo - 1 for (_, r), (_, lo) in zip(ray_runs, local_runs, strict=True)
        )
        spread = f"each rep: {pairs[0]:+.1%} .. {pairs[-1]:+.1%}"
        print(f"ray / local per trial: {overhead:+.1%} ({spread}; target <= +10 %)")


if __name__ == "__main__":
    main()
