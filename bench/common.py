"""Shared by the bench scripts: data loading, result files, machine facts, a small table printer.

Run the scripts from the repository root (`python bench/<script>.py`); this module puts the
repository on sys.path so `import netlib` works without installing anything.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from netlib.data.dataset import Dataset  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
MNIST_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def default_mnist_dir() -> Path:
    """$NETLIB_MNIST_DIR, else ../shared/data/mnist beside the repository."""
    env = os.environ.get("NETLIB_MNIST_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "data" / "mnist"


def _read_idx_fallback(path: Path) -> np.ndarray:
    """A minimal IDX reader (ubyte only), used only when netlib.data.idx is missing."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()


def load_mnist(mnist_dir: str | Path | None = None) -> Dataset:
    """The full MNIST (60,000 / 10,000) from a folder of the four canonical gzipped IDX files."""
    folder = Path(mnist_dir) if mnist_dir else default_mnist_dir()
    if not folder.is_dir():
        raise SystemExit(f"no MNIST folder at {folder}: pass --mnist-dir or set NETLIB_MNIST_DIR")
    try:
        from netlib.data.catalog import load_dataset
    except ImportError:
        load_dataset = None
    if load_dataset is not None:
        return load_dataset("mnist", mnist_dir=folder)
    arrays = {k: _read_idx_fallback(folder / name) for k, name in MNIST_NAMES.items()}
    return Dataset(
        "mnist",
        arrays["train_images"],
        arrays["train_labels"].astype(np.int64),
        arrays["test_images"],
        arrays["test_labels"].astype(np.int64),
        tuple(str(i) for i in range(10)),
    )


def load_digits() -> Dataset:
    """The bundled 8x8 digits with their fixed 1,437 / 360 split (built from shared/data/digits)."""
    from netlib.data.catalog import load_dataset

    return load_dataset("digits-8x8")


def numpy_blas_threads(set_to: int | None = None) -> int | None:
    """The thread count numpy's OpenBLAS uses; optionally set it (see netlib.blas)."""
    from netlib.blas import blas_threads

    return blas_threads(set_to)


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    return sum(ticks), ticks[3] + ticks[4]  # all, idle + iowait


def wait_for_idle(max_wait: float, idle: float = 0.9, samples: int = 3) -> bool:
    """Wait (up to max_wait s) until the CPUs were >= idle free for `samples` 2-second spans.

    Other processes on a small machine make multi-threaded timings jump many times over;
    waiting for a quiet spell before each repetition keeps the comparison meaningful.
    Returns whether it got quiet (False at once where /proc/stat does not exist).
    """
    if max_wait <= 0:
        return True
    try:
        _cpu_times()
    except OSError:
        return False
    start, quiet = time.monotonic(), 0
    while quiet < samples and time.monotonic() - start < max_wait:
        a = _cpu_times()
        time.sleep(2.0)
        b = _cpu_times()
        quiet = quiet + 1 if (b[1] - a[1]) >= idle * max(b[0] - a[0], 1) else 0
    return quiet >= samples


def machine() -> dict:
    """What the numbers depend on: cores, load, library versions, the BLAS numpy links."""
    info = {
        "cpu_count": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "processor": platform.processor() or platform.machine(),
    }
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - informational only
        pass
    info["numpy_blas_threads"] = numpy_blas_threads()
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


def write_result(name: str, payload: dict) -> Path:
    """bench/results/<name>-<UTC timestamp>.json (the folder is git-ignored)."""
    RESULTS.mkdir(exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    payload = {"script": name, "utc": stamp, "machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple | set):
        return list(o)
    return str(o)


def print_table(headers: list[str], rows: list[list], file=None) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = file or sys.stdout
    for j, r in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ),
            file=out,
        )
        if j == 0:
            print("  ".join("-" * w for w in widths), file=out)
    out.flush()
