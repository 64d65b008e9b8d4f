"""Per-layer forward/backward times of a LeNet-like netlib.layers stack on random float32 data.

    python bench/bench_layers.py [--batch 64 128] [--threads 1 2] [--reps 30] [--no-torch]

Stack: conv6k5same(relu) -> maxpool2 -> conv16k5(relu) -> maxpool2 -> flatten -> dense120(relu)
-> dense84(relu) -> dense10, on (N, 1, 28, 28) inputs. The first convolution has
need_input_grad False (a network never needs the gradient of its input). Each layer's forward
and backward are timed separately, median of --reps steps after warm-up; "step" is the median
of whole forward+backward steps timed end to end (no loss, no optimizer update: the upstream
gradient is a fixed random array). s/epoch = step time x 60000 / batch. GFLOP/s per
convolution = 2 x multiply-adds / time (forward: N*F*Ho*Wo*C*k*k; backward: the weight gradient
plus, when wanted, the input gradient, each as many multiply-adds as the forward).

If ``import torch`` works, the same shapes run through torch (torch.set_num_threads = the BLAS
thread count; the input does not require grad, as for netlib's first layer) and the ratio
netlib / torch of whole-step medians is printed.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from common import numpy_blas_threads

from netlib.layers import Activation, Conv2D, Dense, Flatten, MaxPool2D

EPOCH = 60_000


def make_stack(rng):
    layers = [
        Conv2D(6, 5, padding="same"),
        Activation("relu"),
        MaxPool2D(2),
        Conv2D(16, 5),
        Activation("relu"),
        MaxPool2D(2),
        Flatten(),
        Dense(120),
        Activation("relu"),
        Dense(84),
        Activation("relu"),
        Dense(10),
    ]
    shape = (1, 28, 28)
    shapes = []
    for layer in layers:
        shapes.append(shape)
        shape = layer.build(shape, rng, "float32")
    layers[0].need_input_grad = False
    return layers, shapes, shape


def conv_macs(layer, in_shape, batch):
    f, ho, wo = layer.output_shape(in_shape)
    c = in_shape[0]
    return batch * f * ho * wo * c * layer.kernel * layer.kernel


def bench_netlib(batch, reps, rng):
    layers, shapes, out_shape = make_stack(rng)
    x = rng.normal(size=(batch, 1, 28, 28)).astype(np.float32)
    dy_top = rng.normal(size=(batch, *out_shape)).astype(np.float32)
    fwd = [[] for _ in layers]
    bwd = [[] for _ in layers]
    steps = []
    for rep in range(reps + 3):
        t_start = time.perf_counter()
        h, caches = x, []
        for i, layer in enumerate(layers):
            t0 = time.perf_counter()
            h, cache = layer.forward(h, True)
            fwd[i].append(time.perf_counter() - t0)
            caches.append(cache)
        assert h.dtype == np.float32, h.dtype
        g = dy_top
        for i in range(len(layers) - 1, -1, -1):
            t0 = time.perf_counter()
            g, grads = layers[i].backward(caches[i], g)
            bwd[i].append(time.perf_counter() - t0)
            assert g is None or g.dtype == np.float32, (layers[i], g.dtype)
            assert all(v.dtype == np.float32 for v in grads.values()), layers[i]
        steps.append(time.perf_counter() - t_start)
        if rep < 3:  # warm-up
            for lst in (*fwd, *bwd):
                lst.clear()
            steps.clear()
    med = statistics.median
    rows = []
    for i, layer in enumerate(layers):
        f_ms, b_ms = med(fwd[i]) * 1e3, med(bwd[i]) * 1e3
        extra = ""
        if isinstance(layer, Conv2D):
            macs = conv_macs(layer, shapes[i], batch)
            bmacs = macs * (2 if layer.need_input_grad else 1)
            extra = (
                f"  fwd {2 * macs / (f_ms * 1e-3) / 1e9:6.2f} GFLOP/s"
                f"  bwd {2 * bmacs / (b_ms * 1e-3) / 1e9:6.2f} GFLOP/s"
            )
        rows.append(f"  {layer!r:<38} fwd {f_ms:7.3f} ms  bwd {b_ms:7.3f} ms{extra}")
    return med(steps), rows


def bench_torch(batch, reps, threads, rng):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )
    x = torch.from_numpy(rng.normal(size=(batch, 1, 28, 28)).astype(np.float32))
    dy = torch.from_numpy(rng.normal(size=(batch, 10)).astype(np.float32))
    steps = []
    for rep in range(reps + 3):
        t0 = time.perf_counter()
        model.zero_grad(set_to_none=True)
        out = model(x)
        out.backward(dy)
        steps.append(time.perf_counter() - t0)
        if rep < 3:
            steps.clear()
    return statistics.median(steps)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()
    for threads in args.threads:
        got = numpy_blas_threads(threads)
        for batch in args.batch:
            rng = np.random.default_rng(0)
            step, rows = bench_netlib(batch, args.reps, rng)
            print(f"batch {batch}, BLAS threads {got}:")
            print("\n".join(rows))
            line = f"  netlib step {step * 1e3:7.2f} ms  = {step * EPOCH / batch:6.2f} s/epoch"
            t = None if args.no_torch else bench_torch(batch, args.reps, threads, rng)
            if t is not None:
                line += (
                    f"   torch {t * 1e3:6.2f} ms = {t * EPOCH / batch:5.2f} s/epoch"
                    f"   ratio netlib/torch {step / t:5.2f}"
                )
            print(line, flush=True)


if __name__ == "__main__":
    main()
