"""Where one training epoch's time goes: cProfile around the real Trainer on the full MNIST.

    python bench/profile_step.py [--arch small|wide|best|lenet5|fast-cnn] [--threads N] [--top 20]

small = 784-64-10 sigmoid batch 64, wide = 784-800-10 ReLU batch 128 (both plain SGD, as in
bench_epoch.py), best = the best-mlp preset (Adam, dropout, shifts). Matrix products show up
inside network.forward / backward (the @ operator is not a Python call).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats

from bench_epoch import ARCHS
from common import load_mnist, numpy_blas_threads

from netlib.presets import PRESETS
from netlib.trainer import Trainer
from netlib.training_data import prepare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", choices=[*ARCHS, "best"], default="wide")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--mnist-dir", default=None)
    args = ap.parse_args()
    numpy_blas_threads(args.threads)
    if args.arch == "best":
        cfg = PRESETS["best-mlp"].config.replace(dataset="mnist")
    else:
        cfg = ARCHS[args.arch]["config"]
    cfg = cfg.replace(epochs=1, val_fraction=0.0)
    data = prepare(load_mnist(args.mnist_dir), 0.0, cfg.seed, cfg.dtype)
    Trainer(cfg, data, evaluate_test=False).run()  # warm-up
    prof = cProfile.Profile()
    prof.enable()
    end = Trainer(cfg, data, evaluate_test=False).run()
    prof.disable()
    print(f"{args.arch}: {end.train_seconds:.3f} s for one epoch (under the profiler)")
    pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
