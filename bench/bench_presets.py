"""Each preset trained on the full data set, its test accuracy next to the figure its source claims.

The presets default to the bundled "mnist-sample"; here every MNIST preset is trained on the
full MNIST (60,000 training images less the preset's own validation fraction, tested on the
10,000 test images) and digits-8x8 on the 8x8 digits (1,437 training / 360 test images).
Everything else is the preset's own recipe, unless --epochs overrides the epoch count.

    python bench/bench_presets.py [--only ID ...] [--epochs N] [--mnist-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import time

from common import load_digits, load_mnist, numpy_blas_threads, print_table, write_result

from netlib.presets import PRESETS
from netlib.trainer import EpochEvent, Trainer
from netlib.training_data import prepare


def run_preset(preset_id: str, datasets: dict, epochs: int | None) -> dict:
    preset = PRESETS[preset_id]
    data_id = "digits-8x8" if preset.config.dataset == "digits-8x8" else "mnist"
    cfg = preset.config.replace(dataset=data_id)
    if epochs:
        cfg = cfg.replace(epochs=epochs)
    if data_id not in datasets:
        datasets[data_id] = load_digits() if data_id == "digits-8x8" else load_mnist(ARGS.mnist_dir)
    data = prepare(datasets[data_id], cfg.val_fraction, cfg.seed, cfg.dtype)
    last: list[EpochEvent] = []

    def keep_last(event):
        if isinstance(event, EpochEvent):
            last[:] = [event]

    t0 = time.perf_counter()
    end = Trainer(cfg, data, [keep_last]).run()
    wall = time.perf_counter() - t0
    ev = last[0] if last else None
    return {
        "id": preset_id,
        "dataset": data_id,
        "train_size": len(data.y_train),
        "test_size": len(data.y_test),
        "epochs": cfg.epochs,
        "status": end.status,
        "reason": end.reason,
        "train_seconds": end.train_seconds,
        "wall_seconds": wall,
        "test_acc": ev.test_acc if ev else None,
        "val_acc": ev.val_acc if ev else None,
        "train_acc": ev.train_acc if ev else None,
        "claimed": preset.claimed_accuracy,
        "claim": preset.claim,
        "config": cfg.to_dict(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append", choices=list(PRESETS), help="preset id (repeat)")
    ap.add_argument("--epochs", type=int, default=None, help="override every preset's epochs")
    ap.add_argument("--mnist-dir", default=None, help="folder with the four MNIST .gz files")
    ap.add_argument("--threads", type=int, default=None, help="numpy BLAS threads (default: all)")
    global ARGS
    ARGS = ap.parse_args()
    if ARGS.threads:
        numpy_blas_threads(ARGS.threads)

    print(
        f"cores: {os.cpu_count()}, numpy BLAS threads: {numpy_blas_threads()}, "
        f"load average: {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    datasets: dict = {}
    results = []
    for pid in ARGS.only or list(PRESETS):
        r = run_preset(pid, datasets, ARGS.epochs)
        results.append(r)
        acc = f"{100 * r['test_acc']:.2f} %" if r["test_acc"] is not None else "-"
        print(
            f"  {pid}: {r['status']}, test {acc} (claimed {100 * r['claimed']:.2f} %), "
            f"{r['epochs']} epochs, train {r['train_seconds']:.1f} s, "
            f"wall {r['wall_seconds']:.1f} s",
            flush=True,
        )

    rows = []
    for r in results:
        acc = r["test_acc"]
        rows.append(
            [
                r["id"],
                f"{r['dataset']} ({r['train_size']}/{r['test_size']})",
                r["epochs"],
                f"{r['train_seconds']:.1f}",
                f"{100 * acc:.2f} %" if acc is not None else r["status"],
                f"{100 * r['claimed']:.2f} %",
                f"{100 * (acc - r['claimed']):+.2f}" if acc is not None else "-",
            ]
        )
    print()
    headers = ["preset", "data (train/test)", "epochs", "train s", "test acc", "claimed", "diff pp"]
    print_table(headers, rows)
    print(f"load average now: {os.getloadavg()[0]:.2f}")
    payload = {"epochs_override": ARGS.epochs, "threads": numpy_blas_threads(), "results": results}
    path = write_result("bench_presets", payload)
    print(f"\nwrote {path}")


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
