"""Training throughput while a browser watches the Train page live, vs. nobody watching.

Both runs go through the same dashboard server and run registry; the only difference is a
headless Chromium tab polling the live view (fragments, charts, weight heatmaps) during one of
them. Runs alternate (watched, unwatched, watched, ...) so machine noise hits both alike.

    python bench/bench_live_view.py --pairs 3 --preset wide-relu --epochs 30
    python bench/bench_live_view.py --preset fast-cnn --dataset mnist-sample --epochs 3 \
        --view "Feature maps"      # a convolutional run, its feature maps redrawn live

Target: throughput watched / unwatched >= 0.9. Needs /usr/bin/chromium and playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_helpers import browser_page, dashboard_server, start_named_run  # noqa: E402

from runlayer.store import RunStore  # noqa: E402


def wait_finished(store: RunStore, name: str, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = next((r for r in store.list_runs() if r.name == name), None)
        if rec is not None and not rec.active and rec.status != "queued":
            rows = store.epoch_metrics(rec.id)
            samples = sum(r["samples_per_sec"] * r["epoch_seconds"] for r in rows)
            seconds = sum(r["epoch_seconds"] for r in rows)
            return {"status": rec.status, "samples_per_sec": samples / seconds}
        time.sleep(0.5)
    raise TimeoutError(name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--preset", default="wide-relu")
    ap.add_argument("--blas-threads", type=int, help="OPENBLAS_NUM_THREADS for the server")
    ap.add_argument("--epochs", type=int, default=30, help="enough for several seconds a run")
    ap.add_argument("--dataset", help="data set id (default: the preset's)")
    ap.add_argument("--view", help="weight view a watching tab opens, e.g. 'Feature maps'")
    args = ap.parse_args()
    if args.blas_threads:
        os.environ["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    home = Path(tempfile.mkdtemp(prefix="digitnet-bench-")) / "home"
    results: dict[str, list[float]] = {"watched": [], "unwatched": []}
    with dashboard_server(home) as url, browser_page() as page:
        store = RunStore(home)
        for i in range(args.pairs):
            for mode in ("watched", "unwatched") if i % 2 == 0 else ("unwatched", "watched"):
                name = f"bench {mode} {i}"
                link = f"{url}/?preset={args.preset}&epochs={args.epochs}"
                link += f"&dataset={args.dataset}" if args.dataset else ""
                start_named_run(page, link, name)
                if mode == "unwatched":
                    page.goto("about:blank")  # nobody polls the live view now
                elif args.view:
                    page.get_by_text(args.view, exact=True).first.click()
                r = wait_finished(store, name)
                results[mode].append(r["samples_per_sec"])
                print(f"{name}: {r['samples_per_sec']:,.0f} samples/s ({r['status']})", flush=True)
    watched = statistics.median(results["watched"])
    unwatched = statistics.median(results["unwatched"])
    ratio = watched / unwatched
    print(f"median watched {watched:,.0f} / unwatched {unwatched:,.0f} samples/s = {ratio:.3f}")
    print(f"target >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "live_view.json").write_text(json.dumps(results | {"ratio": ratio}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
