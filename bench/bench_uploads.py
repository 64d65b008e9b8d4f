"""Server memory after clicking "Validate and add" N times with the same upload (issue 15).

A gzipped IDX pair of about 204 KB that inflates to 50,000 28×28 images is uploaded on the
Data page (under AppTest, in a child process with a memory cap) and added N times; the
child's resident memory is read from /proc after the idle page and after every click.

    python bench/bench_uploads.py                       # this tree
    python bench/bench_uploads.py --root /tmp/before    # another checkout (a git worktree)
    python bench/bench_uploads.py --distinct            # N different files (the LRU bound)

Prints one JSON line per measurement and a last summary line.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEMORY_CAP = 8 * 2**30  # address space of the child: a regression fails, the machine stays up


def idx_pair(n: int = 50_000, seed: int = 0) -> list[tuple[str, bytes]]:
    """MNIST-shaped images holding one small square each: compresses about 240:1."""
    import numpy as np

    from netlib.data import write_idx

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = np.zeros((n, 28, 28), np.uint8)
    rows, cols = rng.integers(2, 20, n), rng.integers(2, 20, n)
    for i in range(n):
        images[i, rows[i] : rows[i] + 6, cols[i] : cols[i] + 6] = 25 * (labels[i] + 1)
    return [
        ("train-images-idx3-ubyte.gz", gzip.compress(write_idx(images), 9, mtime=0)),
        ("train-labels-idx1-ubyte.gz", gzip.compress(write_idx(labels), 9, mtime=0)),
    ]


def rss_mb() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def child(root: Path, clicks: int, distinct: bool) -> None:
    """Runs inside the capped child, with `root`'s code first on sys.path."""
    sys.path.insert(0, str(root))
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["NETLIB_HOME"] = tempfile.mkdtemp(prefix="bench-uploads-home-")
    files = idx_pair()
    print(json.dumps({"upload_bytes": sum(len(d) for _, d in files)}), flush=True)
    at = AppTest.from_file(str(root / "dashboard.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/data.py").run()

    def choose(files: list[tuple[str, bytes]]) -> None:
        at.file_uploader(key="data_upload_files").set_value(
            [(name, data, "application/gzip") for name, data in files]
        )
        at.run()

    choose(files)
    print(json.dumps({"click": 0, "rss_mb": round(rss_mb(), 1)}), flush=True)
    for i in range(1, clicks + 1):
        if distinct and i > 1:
            choose(idx_pair(seed=i))
        t0 = time.perf_counter()
        next(b for b in at.button if b.label == "Validate and add").click().run()
        seconds = time.perf_counter() - t0
        assert not at.exception, at.exception
        assert at.success, [e.value for e in at.error]
        row = {"click": i, "rss_mb": round(rss_mb(), 1), "seconds": round(seconds, 2)}
        print(json.dumps(row), flush=True)


def cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--clicks", type=int, default=8)
    parser.add_argument("--distinct", action="store_true", help="a different file each click")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    root = args.root.resolve()
    if args.child:
        child(root, args.clicks, args.distinct)
        return
    cmd = [sys.executable, __file__, "--child", "--root", str(root), "--clicks", str(args.clicks)]
    cmd += ["--distinct"] if args.distinct else []
    proc = subprocess.run(
        cmd, cwd=root, capture_output=True, text=True, preexec_fn=cap_memory, timeout=1800
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    for row in rows:
        print(json.dumps(row))
    if proc.returncode != 0:
        sys.exit(f"the child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    clicks = [r for r in rows if "click" in r]
    summary = {
        "root": str(root),
        "distinct": args.distinct,
        "upload_kb": round(rows[0]["upload_bytes"] / 1000),
        "idle_mb": clicks[0]["rss_mb"],
        "after_clicks": clicks[-1]["click"],
        "after_mb": clicks[-1]["rss_mb"],
        "growth_mb": round(clicks[-1]["rss_mb"] - clicks[0]["rss_mb"], 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
