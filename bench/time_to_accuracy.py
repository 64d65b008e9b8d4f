"""Time to accuracy: training seconds until the full-MNIST test accuracy first reaches a target.

Trains the "best-mlp" preset (or a variant of it given by the options) on the full 60,000
MNIST training images (val_fraction 0) and evaluates on the 10,000 test images after every
epoch. The clock is the Trainer's own train_seconds: evaluation happens between epochs and is
not counted. Reports the first epoch end at which the test accuracy reached the target, and
the final accuracy and training time.

It also adds up the process CPU time of the training part of each epoch (from the end of
the previous epoch's evaluation to the epoch's last batch, seen through the Trainer's events).
With `--threads 1` that CPU time is what the run costs on an idle core, whatever else the
machine is doing: the steady figure when other processes make the wall clock jump.

    python bench/time_to_accuracy.py [--preset best-mlp|lenet5|fast-cnn|best-cnn]
        [--target 0.985] [--budget 60] [--epochs N] [--hidden 1024 | --layers "conv8k5 ..."]
        [--batch 128] [--lr 1e-3] [--dropout 0.2] [--shift 1] ...

Without --target / --budget, the preset's own goal: its claimed accuracy within BUDGETS's
seconds (fast-cnn: 99.0 % within 60 s; best-cnn: 99.3 % within 5 minutes).
"""

from __future__ import annotations

import argparse
import os
import time

from common import load_mnist, numpy_blas_threads, wait_for_idle, write_result

from netlib.presets import PRESETS
from netlib.trainer import BatchEvent, EpochEvent, Trainer
from netlib.training_data import prepare

BUDGETS = {"fast-cnn": 60.0, "best-cnn": 300.0, "lenet5": 300.0}  # training seconds; else 60

OVERRIDES = {
    # option: (config field, type)
    "epochs": ("epochs", int),
    "batch": ("batch_size", int),
    "lr": ("lr", float),
    "dropout": ("dropout", float),
    "shift": ("augment_shift", int),
    "schedule": ("schedule", str),
    "optimizer": ("optimizer", str),
    "activation": ("activation", str),
    "init": ("init", str),
    "l2": ("l2", float),
    "seed": ("seed", int),
    "dtype": ("dtype", str),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="best-mlp", choices=list(PRESETS))
    ap.add_argument("--target", type=float, default=None, help="test accuracy to reach")
    ap.add_argument("--budget", type=float, default=None, help="training seconds allowed")
    ap.add_argument(
        "--hidden", default=None, help="hidden widths, comma separated: 1024 or 800,800"
    )
    ap.add_argument("--layers", default=None, help='an architecture: "conv8k5 pool2 dense128"')
    for opt, (_, typ) in OVERRIDES.items():
        ap.add_argument(f"--{opt}", type=typ, default=None)
    ap.add_argument("--mnist-dir", default=None, help="folder with the four MNIST .gz files")
    ap.add_argument("--tag", default="", help="a label stored with the result")
    ap.add_argument("--threads", type=int, default=None, help="numpy BLAS threads (default: all)")
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for the CPUs to be 90%% idle",
    )
    args = ap.parse_args()
    if args.wait_idle and not wait_for_idle(args.wait_idle):
        print(f"(not idle after {args.wait_idle:.0f} s: measuring anyway)")
    if args.threads:
        numpy_blas_threads(args.threads)

    cfg = PRESETS[args.preset].config.replace(dataset="mnist", val_fraction=0.0)
    changes = {field: getattr(args, opt) for opt, (field, _) in OVERRIDES.items()}
    changes = {k: v for k, v in changes.items() if v is not None}
    if args.hidden:
        changes["hidden"] = tuple(int(h) for h in args.hidden.split(","))
        changes["layers"] = ""
    if args.layers:
        changes["layers"] = args.layers
    cfg = cfg.replace(**changes)
    if args.target is None:
        args.target = PRESETS[args.preset].claimed_accuracy
    if args.budget is None:
        args.budget = BUDGETS.get(args.preset, 60.0)

    data = prepare(load_mnist(args.mnist_dir), 0.0, cfg.seed, cfg.dtype)
    print(
        f"{args.preset} {cfg.to_json()}\ncores: {os.cpu_count()}, "
        f"numpy BLAS threads: {numpy_blas_threads()}, load average: {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    epochs: list[dict] = []
    reached: dict | None = None
    cpu = {"mark": time.process_time(), "total": 0.0}

    def on_event(event):
        nonlocal reached
        if isinstance(event, BatchEvent):
            if event.batch == event.batches:  # the epoch's training part ends here
                cpu["total"] += time.process_time() - cpu["mark"]
            return
        if not isinstance(event, EpochEvent):
            return
        cpu["mark"] = time.process_time()  # evaluation is done: the next epoch starts
        row = {
            "epoch": event.epoch,
            "train_seconds": event.train_seconds,
            "cpu_seconds": cpu["total"],
            "epoch_seconds": event.epoch_seconds,
            "test_acc": event.test_acc,
            "train_loss": event.train_loss,
            "lr": event.lr,
            "load": os.getloadavg()[0],
        }
        epochs.append(row)
        if reached is None and event.test_acc >= args.target:
            reached = row
        print(
            f"  epoch {event.epoch:3d}  train {event.train_seconds:7.1f} s "
            f"(+{event.epoch_seconds:5.2f}, cpu {cpu['total']:6.1f} s)  "
            f"test {100 * event.test_acc:.2f} %  "
            f"loss {event.train_loss:.4f}  load {row['load']:.2f}",
            flush=True,
        )

    trainer = Trainer(cfg, data, [on_event])
    cpu["mark"] = time.process_time()
    end = trainer.run()
    final = epochs[-1] if epochs else None
    print(f"\n{end.status}: {end.reason}")
    if final:
        print(
            f"final: test {100 * final['test_acc']:.2f} % after {final['train_seconds']:.1f} s "
            f"of training, cpu {final['cpu_seconds']:.1f} s ({len(epochs)} epochs)"
        )
    if reached:
        ok = reached["train_seconds"] <= args.budget
        print(
            f"reached {100 * args.target:.2f} % at epoch {reached['epoch']} after "
            f"{reached['train_seconds']:.1f} s of training (cpu {reached['cpu_seconds']:.1f} s): "
            f"{'within' if ok else 'OVER'} the {args.budget:.0f} s budget"
        )
    else:
        print(f"never reached {100 * args.target:.2f} %")
    path = write_result(
        "time_to_accuracy",
        {
            "tag": args.tag,
            "preset": args.preset,
            "config": cfg.to_dict(),
            "target": args.target,
            "budget": args.budget,
            "threads": numpy_blas_threads(),
            "status": end.status,
            "epochs": epochs,
            "reached": reached,
            "final": final,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
