"""Memory: a 300-epoch run watched like a page stays bounded; ended runs leave memory too.

The long run happens in a child process so its resident memory is its own; it prints the
figures (RSS at epochs 50 and 300, peak RSS, curve length, live network copies)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from reliability_helpers import ROOT
from synthetic_data import synthetic_dataset

from netlib.config import NetConfig
from runlayer import RunRegistry

LONG_RUN = """
import gc, json, sys, threading, time
sys.path[:0] = [{root!r}, {tests!r}]
import figures
from app.live_view import LIVE_LOSS_POINTS, memo_json  # the page's own figure cache
from app.state import figure_cache
from reliability_helpers import rss_mb
from netlib.config import NetConfig
from netlib.network import MLP
from netlib.trainer import EpochEvent
from runlayer import RunRegistry

marks = {{}}

def nets_alive():
    return sum(isinstance(o, MLP) for o in gc.get_objects())

def at_epochs(run_id, event):  # what the process holds at epoch 50 and at the end
    if isinstance(event, EpochEvent) and event.epoch in (50, 300):
        gc.collect()
        marks[event.epoch] = dict(rss_mb(), nets=nets_alive())

reg = RunRegistry({home!r}, listeners=[at_epochs])
reg.snapshot_seconds = 0.05  # refresh the live weights far more often than a page needs
config = NetConfig(dataset="digits-8x8", hidden=(64,), epochs=300, batch_size=32, lr=0.1)
run_id = reg.start(config, name="300 epochs")
polls = 0

def page():  # a tab: poll the snapshot and build its charts as the Train page does
    global polls
    while True:
        snap = reg.snapshot(run_id)
        m = snap.metrics
        memo_json(f"loss_{{run_id}}", (snap.step, len(m)), lambda: figures.loss_curve(
            snap.curve_steps, snap.curve_losses, epoch_steps=[r["step"] for r in m],
            train_epoch_loss=[r["train_loss"] for r in m],
            val_epoch_loss=[r["val_loss"] for r in m], max_points=LIVE_LOSS_POINTS,
        ))
        if snap.net is not None:
            memo_json(f"tiles_{{run_id}}", snap.net_version,
                      lambda: figures.weight_tiles(snap.net.weights[0], (8, 8)))
        polls += 1
        if not snap.active:
            return
        time.sleep(0.02)

t0 = time.monotonic()
watcher = threading.Thread(target=page)
watcher.start()
status = reg.wait(run_id, 600)
watcher.join()
snap = reg.snapshot(run_id)
steps, _ = reg.store.batch_losses(run_id)
print(json.dumps(dict(
    status=status, seconds=time.monotonic() - t0, marks=marks, peak=rss_mb()["VmHWM"],
    curve=len(snap.curve_steps), cap=reg.curve_points, stored=len(steps), steps=snap.step,
    polls=polls, epochs=len(reg.store.epoch_metrics(run_id)), builds=figure_cache().builds,
)))
reg.close()
"""


@pytest.mark.slow
def test_a_300_epoch_run_watched_by_a_page_keeps_memory_bounded(tmp_path):
    code = LONG_RUN.format(root=str(ROOT), tests=str(ROOT / "tests"), home=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-3000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    at50, at300 = r["marks"]["50"], r["marks"]["300"]
    growth = at300["VmRSS"] - at50["VmRSS"]
    print(
        f"\n[memory] 300 epochs of digits-8x8 ({r['steps']:,} batches) in {r['seconds']:.1f} s, "
        f"{r['polls']:,} page polls ({r['builds']:,} charts built): "
        f"RSS {at50['VmRSS']:.1f} MB at epoch 50 -> "
        f"{at300['VmRSS']:.1f} MB at epoch 300 (growth {growth:+.1f} MB); peak RSS "
        f"{r['peak']:.1f} MB; curve {r['curve']} points (cap {r['cap']}), {r['stored']} stored; "
        f"networks alive {at50['nets']} -> {at300['nets']}"
    )
    assert (r["status"], r["epochs"]) == ("finished", 300)
    assert r["steps"] > 4 * r["cap"]  # long enough for the curve to be thinned twice
    assert r["cap"] // 2 <= r["curve"] <= r["cap"] and r["stored"] == r["curve"]
    assert growth < 50
    assert r["builds"] > r["polls"] // 2  # the page's figure cache was really exercised
    assert at300["nets"] <= at50["nets"] + 2 <= 12  # old snapshots are not kept


def test_ended_runs_leave_memory_beyond_keep_finished(tmp_path):
    data = synthetic_dataset(n_train=100, n_test=20)
    reg = RunRegistry(tmp_path / "home", loader=lambda i, p: data, keep_finished=2, max_parallel=1)
    try:
        config = NetConfig(dataset="s", hidden=(8,), epochs=1, batch_size=16)
        ids = [reg.start(config.replace(seed=s)) for s in range(6)]
        assert [reg.wait(i, 30) for i in ids] == ["finished"] * 6
        assert [reg.live(i) is not None for i in ids] == [False] * 4 + [True] * 2
        assert reg.snapshot(ids[0]) is None  # the page falls back to the store
        assert [len(reg.store.epoch_metrics(i)) for i in ids] == [1] * 6
    finally:
        reg.close()
