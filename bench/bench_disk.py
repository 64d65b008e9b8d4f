"""Disk written and kept by one dashboard-style run: 784-256-10 ReLU on the bundled sample.

The run trains in a RunRegistry in this process (as the dashboard's server does, one BLAS
thread) for --seconds, then is stopped. "written" is what this process handed to write()
(/proc/self/io wchar: checkpoints, the SQLite database and its WAL, manifests); "kept" is what
is left under the data directory (hard links counted once). Run it with PYTHONPATH pointing at
another checkout (e.g. `git archive HEAD | tar -x -C /tmp/base`) to measure that version.

    python bench/bench_disk.py                 # 300 s, the issue's 5-minute run
    python bench/bench_disk.py --seconds 60    # shorter; the table extrapolates to 5 minutes
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

if "PYTHONPATH" not in os.environ:  # the checkout this file is in, unless told otherwise
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netlib.blas import blas_threads  # noqa: E402
from netlib.config import NetConfig  # noqa: E402
from runlayer import RunRegistry  # noqa: E402

CONFIG = NetConfig(
    dataset="mnist-sample", hidden=(256,), activation="relu", lr=0.1, batch_size=64, epochs=5000
)


def written_bytes() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("wchar:")).split()[1])


def kept_bytes(home: Path) -> tuple[int, int]:
    """(bytes, files) under home, each inode once (best.npz may be a link to an epoch file)."""
    seen, total = set(), 0
    for path in home.rglob("*"):
        st = path.lstat()
        if path.is_file() and (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
    return total, len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    args = parser.parse_args()
    blas_threads(1)
    with tempfile.TemporaryDirectory(prefix="bench-disk-") as tmp:
        home = Path(tmp)
        registry = RunRegistry(home)
        registry.dataset(CONFIG.dataset)  # loaded before the clock starts
        before = written_bytes()
        t0 = time.monotonic()
        run_id = registry.start(CONFIG, "bench disk")
        while time.monotonic() - t0 < args.seconds:
            time.sleep(0.5)
        registry.stop(run_id)
        registry.wait(run_id, 120)
        seconds = time.monotonic() - t0
        written = written_bytes() - before
        record = registry.store.get_run(run_id)
        kept, files = kept_bytes(home)
        saved = registry.store.saved_epochs(run_id)
        registry.close()
    scale = 300.0 / seconds
    result = {
        "seconds": round(seconds, 1),
        "epochs": record.epochs_done,
        "written_gb": written / 1e9,
        "kept_gb": kept / 1e9,
        "files_kept": files,
        "epoch_files_kept": len(saved),
        "written_gb_per_5_min": written / 1e9 * scale,
        "extrapolated": abs(scale - 1) > 0.05,
    }
    print(json.dumps(result))
    print(
        f"{record.epochs_done} epochs in {seconds:.0f} s: wrote {written / 1e9:.3f} GB, "
        f"kept {kept / 1e9:.3f} GB in {files} files ({len(saved)} epoch checkpoints)"
        + (
            f"; x{scale:.2f} for 5 minutes: {written / 1e9 * scale:.2f} GB written"
            if result["extrapolated"]
            else ""
        )  # fmt: skip
    )


if __name__ == "__main__":
    main()
