"""Seconds per epoch: netlib's real Trainer vs a plain PyTorch CPU loop, side by side.

Same data (full MNIST training set, 60,000 x 784 float32, inputs / 255), same architecture,
batch size, initial weights (copied from netlib's initialiser), optimizer (plain SGD, same lr),
loss (mean softmax cross-entropy) and per-epoch shuffle (the Trainer's own permutation, gathered
per batch on both sides). Runs are interleaved (netlib, torch, torch-bare, then reversed on
the next repetition) and the median of the repetitions is reported, so machine noise hits
both sides alike.

- netlib: `Trainer(config, data, evaluate_test=False).run()` for one epoch with
  val_fraction=0; the time is the Trainer's own train_seconds (no evaluation inside it).
- torch: nn.Sequential + torch.optim.SGD, model.train(), zero_grad(set_to_none=True),
  torch.set_num_threads(os.cpu_count()); it also sums the loss and counts correct predictions
  per batch, the bookkeeping the Trainer does for its epoch report.
- torch-bare: the same loop without that bookkeeping (forward, loss, backward, step only):
  the fastest honest PyTorch loop. Ratios are given against both.

Convolutional rows (issue 17): LeNet-5 at batch 64 and the fast-cnn preset's net at its batch
128, both with plain SGD here; the torch model is translated layer by layer from netlib's
built stack (nn.Conv2d / MaxPool2d / Linear ..., weights copied) and sees the images as
(N, 1, 28, 28), as netlib's stack does. Effective GFLOP/s = multiply-adds per image × 2 ×
3 (forward, and backward's two products) × images / seconds.

    python bench/bench_epoch.py [--mnist-dir DIR] [--reps 3] [--only small|wide|lenet5|fast-cnn]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from common import load_mnist, numpy_blas_threads, print_table, wait_for_idle, write_result

from netlib.config import NetConfig
from netlib.layer_stack import LayerStack
from netlib.presets import PRESETS
from netlib.trainer import EndEvent, Trainer
from netlib.training_data import prepare

ARCHS = {
    "small": dict(
        label="784-64-10 sigmoid, batch 64",
        target=0.8,
        config=NetConfig(
            dataset="mnist",
            hidden=(64,),
            activation="sigmoid",
            optimizer="sgd",
            lr=0.5,
            batch_size=64,
            init="normal",
            init_scale=0.1,
        ),
    ),
    "wide": dict(
        label="784-800-10 ReLU, batch 128",
        target=1.0,
        config=NetConfig(
            dataset="mnist",
            hidden=(800,),
            activation="relu",
            optimizer="sgd",
            lr=0.1,
            batch_size=128,
            init="he",
        ),
    ),
    "lenet5": dict(
        label="LeNet-5 (conv6k5same pool2 conv16k5 pool2 dense120 dense84), batch 64",
        target=1.0,
        config=PRESETS["lenet5"].config.replace(
            dataset="mnist", optimizer="sgd", lr=0.05, schedule="constant", batch_size=64
        ),
    ),
    "fast-cnn": dict(
        label="fast-cnn (conv16k5 pool2 conv32k5 pool2 dense128), batch 128",
        target=1.0,
        config=PRESETS["fast-cnn"].config.replace(
            dataset="mnist", optimizer="sgd", lr=0.05, schedule="constant"
        ),
    ),
}


def netlib_epoch(config: NetConfig, data) -> float:
    end: EndEvent = Trainer(config, data, evaluate_test=False).run()
    if end.status != "finished":
        raise RuntimeError(f"netlib run {end.status}: {end.reason}")
    return end.train_seconds


def torch_epoch(torch, config: NetConfig, data, init_trainer: Trainer, bare: bool) -> float:
    model = torch_model(torch, config, init_trainer.net)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=config.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(data.x_train)
    if isinstance(init_trainer.net, LayerStack):  # images, as the stack sees them
        x = x.view(len(x), *init_trainer.net.input_shape)
    y = torch.from_numpy(data.y_train)
    n, bs = len(data.y_train), config.batch_size
    # The same permutation the Trainer draws for its first epoch.
    shuffle_rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(3)[1])
    order = torch.from_numpy(shuffle_rng.permutation(n))
    loss_sum, correct = 0.0, 0
    t0 = time.perf_counter()
    for b in range(0, n, bs):
        idx = order[b : b + bs]
        # index_select: torch's fastest row gather (x[idx] is ~3x slower on CPU).
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        logits = model(xb)
        loss = loss_fn(logits, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if not bare:
            loss_sum += loss.item() * len(yb)
            correct += int((logits.argmax(dim=1) == yb).sum())
    return time.perf_counter() - t0


def torch_model(torch, config: NetConfig, net):
    """The same network in PyTorch, with netlib's initial weights copied in."""
    nn = torch.nn
    acts = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}
    if not isinstance(net, LayerStack):
        sizes, layers = net.sizes, []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(nn.Linear(fan_in, fan_out))
            if i < len(sizes) - 2:
                layers.append(acts[config.activation]())
        model = nn.Sequential(*layers)
        linears = [m for m in model if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for lin, w, b in zip(linears, net.weights, net.biases, strict=True):
                lin.weight.copy_(torch.from_numpy(w.T.copy()))  # netlib stores (in, out)
                lin.bias.copy_(torch.from_numpy(b))
        return model
    layers, shape = [], net.input_shape
    for layer in net.layers:
        kind = layer.kind
        if kind == "conv":
            pad = layer.kernel // 2 if layer.padding == "same" else 0
            m = nn.Conv2d(shape[0], layer.filters, layer.kernel, layer.stride, pad)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(layer.W))  # both (F, C, K, K)
                m.bias.copy_(torch.from_numpy(layer.b))
        elif kind == "dense":
            m = nn.Linear(shape[0], layer.units)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(layer.W.T.copy()))
                m.bias.copy_(torch.from_numpy(layer.b))
        elif kind == "maxpool":
            m = nn.MaxPool2d(layer.size)
        elif kind == "avgpool":
            m = nn.AvgPool2d(layer.size)
        elif kind == "flatten":
            m = nn.Flatten()
        elif kind == "activation":
            m = acts[layer.name]()
        elif kind == "dropout":
            m = nn.Dropout(layer.p)
        else:
            raise ValueError(f"no torch layer for {kind}")
        layers.append(m)
        shape = layer.output_shape(shape)
    return nn.Sequential(*layers)


def gflops(config: NetConfig, data, seconds: float) -> float:
    """Effective GFLOP/s of one epoch: multiply-adds × 2 (a multiply and an add) × 3 (the
    forward product and backward's two) per image."""
    from netlib.architecture import summary

    h, w = data.image_shape
    macs = summary(config.layer_specs, (1, h, w), data.num_classes).macs
    return macs * 2 * 3 * len(data.y_train) / seconds / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mnist-dir", default=None, help="folder with the four MNIST .gz files")
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions (median)")
    ap.add_argument("--only", choices=sorted(ARCHS), action="append", help="one architecture")
    ap.add_argument("--no-torch", action="store_true", help="time netlib only")
    ap.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="threads for both sides: numpy's OpenBLAS and torch.set_num_threads "
        "(default: os.cpu_count(); 1 gives a contention-robust cross-check on a busy machine)",
    )
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="before each repetition, wait up to this long for the CPUs to be 90%% idle",
    )
    args = ap.parse_args()
    blas_threads = numpy_blas_threads(args.threads)

    ds = load_mnist(args.mnist_dir)
    data = prepare(ds, 0.0, 0, "float32")
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("torch is not importable: timing netlib only (pip install torch==2.13.0)")
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(
        f"data: {data.x_train.shape} {data.x_train.dtype}, cores: {os.cpu_count()}, "
        f"numpy BLAS threads: {blas_threads}, "
        f"torch threads: {torch.get_num_threads() if torch else '-'}, "
        f"load average: {os.getloadavg()[0]:.2f}"
    )

    results = {}
    for key in args.only or list(ARCHS):
        arch = ARCHS[key]
        cfg = arch["config"].replace(epochs=1, val_fraction=0.0)
        contenders = {"netlib": lambda cfg=cfg: netlib_epoch(cfg, data)}
        if torch is not None:
            init = Trainer(cfg, data, evaluate_test=False)  # the same initial weights
            for name, bare in (("torch", False), ("torch-bare", True)):
                contenders[name] = lambda cfg=cfg, init=init, bare=bare: torch_epoch(
                    torch, cfg, data, init, bare
                )
        # Warm-up: one short pass each on a slice (thread pools, allocator, lazy init).
        small = prepare_slice(data, 4096)
        netlib_epoch(cfg, small)
        if torch is not None:
            torch_epoch(torch, cfg, small, Trainer(cfg, small, evaluate_test=False), False)
        times: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for rep in range(args.reps):
            if args.wait_idle and not wait_for_idle(args.wait_idle):
                print(f"  (not idle after {args.wait_idle:.0f} s: measuring anyway)", flush=True)
            for name in names if rep % 2 == 0 else names[::-1]:
                times[name].append(contenders[name]())
                print(f"  {key} rep {rep + 1} {name}: {times[name][-1]:.3f} s", flush=True)
        med = {name: statistics.median(t) for name, t in times.items()}
        best = {name: min(t) for name, t in times.items()}
        # A contender whose slowest repetition is 1.5x its fastest was disturbed by other load.
        noisy = [name for name, t in times.items() if max(t) > 1.5 * min(t)]
        results[key] = {
            "gflops": {name: gflops(cfg, data, t) for name, t in med.items()},
            "label": arch["label"],
            "target": arch["target"],
            "times": times,
            "median": med,
            "best": best,
            "noisy": noisy,
            "config": cfg.to_dict(),
        }
        if torch is not None:
            results[key]["ratio"] = med["netlib"] / med["torch"]
            results[key]["ratio_bare"] = med["netlib"] / med["torch-bare"]
            results[key]["ratio_bare_best"] = best["netlib"] / best["torch-bare"]

    rows = []
    for r in results.values():
        med = r["median"]
        row = [r["label"], f"{med['netlib']:.3f}", f"{r['gflops']['netlib']:.1f}"]
        if torch is not None:
            row += [
                f"{med['torch']:.3f}",
                f"{med['torch-bare']:.3f}",
                f"{r['ratio']:.2f}",
                f"{r['ratio_bare']:.2f}",
                f"{r['ratio_bare_best']:.2f}",
                f"<= {r['target']}",
                "met" if r["ratio_bare"] <= r["target"] else "NOT met",
            ]
        row.append(", ".join(r["noisy"]) or "-")
        rows.append(row)
    headers = ["architecture", "netlib s/epoch", "netlib GFLOP/s"]
    if torch is not None:
        headers += [
            "torch s/epoch",
            "torch-bare s/epoch",
            "ratio",
            "ratio vs bare",
            "best-of vs bare",
            "target",
            "median vs bare",
        ]
    headers.append("noisy (max > 1.5 min)")
    print("\nmedians of the repetitions; ratio = netlib / torch, 'best-of' = fastest / fastest")
    print_table(headers, rows)
    print(
        f"load average now: {os.getloadavg()[0]:.2f} (over ~{os.cpu_count()} means noisy numbers)"
    )
    if any(r["noisy"] for r in results.values()):
        print("some repetitions were disturbed by other load: consider running again")
    payload = {"reps": args.reps, "threads": args.threads, "results": results}
    path = write_result("bench_epoch", payload)
    print(f"\nwrote {path}")


def prepare_slice(data, n):
    from dataclasses import replace

    return replace(data, x_train=data.x_train[:n], y_train=data.y_train[:n])


if __name__ == "__main__":
    main()
