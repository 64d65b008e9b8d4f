"""The run store: restart, interrupted runs, weights, rename/delete, paths, the bounded curve."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib.config import NetConfig
from netlib.network import MLP
from runlayer import (
    NoWeightsError,
    RunError,
    RunNotFoundError,
    RunRegistry,
    RunStore,
    StoreError,
    paths,
)
from runlayer.curve import DownsampledCurve
from runlayer.paths import RUN_ID_RE
from runlayer.retention import Retention

DATA = synthetic_dataset()
ROOT = Path(__file__).resolve().parents[1]


def cfg(**changes):
    base = NetConfig(dataset="synthetic", hidden=(16,), activation="relu", epochs=3, batch_size=32)
    return base.replace(**changes)


def _net(seed=0):
    return MLP.create([144, 16, 10], "relu", "he", np.random.default_rng(seed))


def test_runs_survive_a_restart_with_everything_a_page_reads(make_registry, tmp_path):
    reg = make_registry()
    run_id = reg.start(cfg(epochs=4), name="first")
    assert RUN_ID_RE.fullmatch(run_id)
    assert reg.wait(run_id, 20) == "finished"
    live = reg.snapshot(run_id)
    assert len(live.metrics) == 4 and live.net is not None and live.confusion.sum() == 200
    reg.close()

    store = make_registry().store
    [rec] = store.list_runs()
    assert (rec.id, rec.name, rec.status, rec.epochs_done) == (run_id, "first", "finished", 4)
    assert rec.config == cfg(epochs=4) and rec.architecture == "16"
    assert rec.started <= rec.ended and rec.train_seconds > 0
    assert rec.best_val_acc > 0.8 and rec.final_test_acc > 0.8 and rec.best_test_acc > 0.8
    metrics = store.epoch_metrics(run_id)
    assert [m["epoch"] for m in metrics] == [1, 2, 3, 4]
    assert metrics == [dict(m) for m in live.metrics]
    steps, losses = store.batch_losses(run_id)
    assert np.array_equal(steps, live.curve_steps) and np.allclose(losses, live.curve_losses)
    assert set(store.confusions(run_id)) == {1, 2, 3, 4}
    assert np.array_equal(store.confusion(run_id, 4), live.confusion)
    assert store.confusion(run_id, 9) is None
    assert store.saved_epochs(run_id) == [1, 2, 3, 4]
    net, config, meta = store.load_weights(run_id, "best")
    assert meta["epoch"] == rec.best_epoch and config == rec.config
    assert store.load_weights(run_id, "last")[2]["epoch"] == 4
    last = store.load_weights(run_id, 4)[0]
    assert all(np.array_equal(a, b) for a, b in zip(last.params(), live.net.params(), strict=True))
    assert meta["class_names"] == list(DATA.class_names) and meta["image_shape"] == [12, 12]
    assert store.integrity_check() == "ok"
    assert (tmp_path / "home" / "runs" / run_id / "best.npz").is_file()


def test_a_run_left_running_reopens_as_interrupted_with_its_epochs(tmp_path, make_registry):
    store = RunStore(tmp_path / "home")
    run_id = store.create_run(cfg(epochs=10), "crashed")
    done_id = store.create_run(cfg(), "done")
    store.update_run(done_id, status="finished")
    queued_id = store.create_run(cfg(), "waiting")
    store.update_run(run_id, status="running", started=time.time())
    for epoch in (1, 2):
        store.add_epoch(run_id, {"epoch": epoch, "train_loss": 1.0 / epoch, "lr": 0.1}, None)
        store.save_weights(run_id, epoch, _net(epoch), cfg(epochs=10), {"epoch": epoch})
        store.save_predictions(run_id, epoch, np.full(5, epoch))
    store.update_run(run_id, best_epoch=2)
    store.save_best(run_id, _net(2), cfg(epochs=10), {"epoch": 2}, epoch=2)
    # Killed between epoch 3's files and its row: weights, best and predictions, no history.
    store.save_weights(run_id, 3, _net(3), cfg(epochs=10), {"epoch": 3})
    store.save_best(run_id, _net(3), cfg(epochs=10), {"epoch": 3}, epoch=3)
    store.save_predictions(run_id, 3, np.full(5, 3))
    folder = store.home / "runs" / run_id
    (folder / ".tmp-k1ll3d.npz").write_bytes(b"PK\x03\x04 half a checkpoint")  # killed mid-save
    (store.home / "runs" / done_id).mkdir(parents=True, exist_ok=True)
    other = store.home / "runs" / done_id / ".tmp-other.npz"  # not ours to touch: run not live
    other.write_bytes(b"x")
    store.close()

    store = make_registry().store
    assert not list(folder.glob(".tmp-*")) and other.exists()
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["best.npz", "epoch-0001.npz", "epoch-0002.npz", "history.jsonl",
                     "predictions.u8", "run.json"]  # fmt: skip
    assert store.load_weights(run_id, "best")[2] == {"epoch": 2}  # back to the recorded best
    assert store.predictions(run_id).tolist() == [[1] * 5, [2] * 5]
    rec = store.get_run(run_id)
    assert rec.status == "interrupted" and "running" in rec.reason and rec.ended is not None
    assert store.get_run(queued_id).status == "interrupted"
    assert store.get_run(done_id).status == "finished"
    assert [m["train_loss"] for m in store.epoch_metrics(run_id)] == [1.0, 0.5]
    net, config, meta = store.load_weights(run_id, "last")
    assert meta == {"epoch": 2} and config.epochs == 10
    assert np.array_equal(net.weights[0], _net(2).weights[0])


CHILD = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
from synthetic_data import synthetic_dataset
from netlib.config import NetConfig
from runlayer import RunRegistry
reg = RunRegistry({home!r}, loader=lambda i, p: synthetic_dataset())
reg.start(NetConfig(dataset="s", hidden=(16,), activation="relu", epochs=5000, batch_size=32))
import time
time.sleep(60)
"""


def test_a_killed_server_leaves_an_interrupted_run_with_a_loadable_checkpoint(tmp_path):
    home = tmp_path / "home"
    code = CHILD.format(root=str(ROOT), tests=str(ROOT / "tests"), home=str(home))
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and child.poll() is None:
            if _epochs_in(home) >= 2:
                break
            time.sleep(0.05)
        assert _epochs_in(home) >= 2, "the child process never recorded two epochs"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    reg = RunRegistry(home, loader=lambda i, p: DATA)
    [rec] = reg.store.list_runs()
    assert rec.status == "interrupted"
    epochs = [m["epoch"] for m in reg.store.epoch_metrics(rec.id)]
    assert epochs[:2] == [1, 2]
    saved = reg.store.saved_epochs(rec.id)  # thinned, but the last recorded epoch is there
    assert epochs[-1] in saved and set(saved) <= set(epochs)  # none ahead of the history
    assert reg.store.load_weights(rec.id, "best")[2]["epoch"] == rec.best_epoch
    _, _, meta = reg.store.load_weights(rec.id, "last")
    assert meta["epoch"] >= 2
    assert reg.store.integrity_check() == "ok"
    reg.close()


def _epochs_in(home: Path) -> int:
    db = home / "runs.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
    except sqlite3.OperationalError:  # the child has not created the tables yet
        return 0


def test_names_are_free_text_and_never_paths(make_registry, tmp_path):
    reg = make_registry()
    run_id = reg.start(cfg(epochs=1), name="../../etc/x")
    assert reg.wait(run_id, 20) == "finished"
    store = reg.store
    assert store.get_run(run_id).name == "../../etc/x"
    assert sorted(p.name for p in (tmp_path / "home" / "runs").iterdir()) == [run_id]
    assert not (tmp_path / "etc").exists() and not (tmp_path / "home" / "etc").exists()
    store.rename(run_id, "  a  better\nname ")
    assert store.get_run(run_id).name == "a better name"
    reg.rename(run_id, "/tmp/../x")
    assert store.get_run(run_id).name == "/tmp/../x" == reg.snapshot(run_id).name
    with pytest.raises(ValueError):
        store.rename(run_id, "   ")
    for bad in ("../../etc", "x" * 12, "", None):
        assert store.get_run(bad) is None and store.saved_epochs(bad) == []
        with pytest.raises(RunNotFoundError):
            store.load_weights(bad)
        with pytest.raises(RunNotFoundError):
            store.rename(bad, "y")


def test_delete_removes_rows_and_files(make_registry, tmp_path):
    reg = make_registry()
    keep = reg.start(cfg(epochs=2, seed=1))
    gone = reg.start(cfg(epochs=2))
    assert reg.wait(keep, 20) == reg.wait(gone, 20) == "finished"
    folder = tmp_path / "home" / "runs" / gone
    assert folder.is_dir()
    reg.delete(gone)
    assert not folder.exists()
    assert reg.store.get_run(gone) is None and reg.live(gone) is None
    assert reg.store.epoch_metrics(gone) == [] and reg.store.confusions(gone) == {}
    assert len(reg.store.batch_losses(gone)[0]) == 0
    with pytest.raises(RunNotFoundError, match="deleted"):
        reg.store.load_weights(gone, "best")
    with pytest.raises(RunNotFoundError):
        reg.store.delete(gone)
    assert [r.id for r in reg.store.list_runs()] == [keep]
    assert reg.store.saved_epochs(keep) == [1, 2]
    assert reg.store.integrity_check() == "ok"


def test_store_refuses_to_delete_a_live_run(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(cfg(), "live")
    store.update_run(run_id, status="running")
    with pytest.raises(RunError, match="stop it"):
        store.delete(run_id)
    store.close()


def test_curve_points_for_a_row_that_vanished_give_a_clear_error(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(cfg())
    store.add_batch_losses(run_id, [1, 2], [0.5, 0.4])
    with sqlite3.connect(tmp_path / "runs.sqlite3") as db:
        db.execute("DELETE FROM runs WHERE id=?", (run_id,))
    with pytest.raises(StoreError, match="no longer in the run history"):
        store.add_batch_losses(run_id, [3], [0.3])
    store.close()


def test_missing_weights_give_clear_errors(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(cfg())
    with pytest.raises(NoWeightsError, match="no epoch finished"):
        store.load_weights(run_id, "last")
    with pytest.raises(NoWeightsError, match="best"):
        store.load_weights(run_id, "best")
    store.save_weights(run_id, 1, _net(), cfg(), {})
    with pytest.raises(NoWeightsError, match=r"saved epochs: \[1\]"):
        store.load_weights(run_id, 3)
    with pytest.raises(ValueError):
        store.load_weights(run_id, True)
    store.close()


def test_epoch_weight_cap_keeps_the_first_the_latest_and_the_best(make_registry):
    reg = make_registry(retention=Retention(budget_bytes=10**9, max_checkpoints=3, first_epochs=1))
    run_id = reg.start(cfg(epochs=5))
    assert reg.wait(run_id, 20) == "finished"
    best = reg.store.get_run(run_id).best_epoch
    saved = reg.store.saved_epochs(run_id)
    assert len(saved) == 3 and {1, best, 5} <= set(saved)
    assert reg.store.load_weights(run_id, "best")[2]["epoch"] == best


def test_unwritable_home_is_a_clear_error_at_creation(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    t0 = time.monotonic()
    with pytest.raises(StoreError, match="not writable.*NETLIB_HOME"):
        RunRegistry(blocker / "home")
    assert time.monotonic() - t0 < 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_home_is_a_clear_error(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="not writable"):
            RunStore(tmp_path / "home")
    finally:
        tmp_path.chmod(0o700)


def test_home_defaults_to_netlib_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "from-env"))
    store = RunStore()
    assert store.home == (tmp_path / "from-env").resolve()
    assert (tmp_path / "from-env" / "runs.sqlite3").is_file()
    store.close()


def test_without_netlib_home_runs_go_to_the_per_user_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("NETLIB_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert paths.default_home() == tmp_path / "xdg" / "digit-net"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert paths.default_home() == tmp_path / "me" / ".local" / "share" / "digit-net"
    store = RunStore()
    assert store.home == (tmp_path / "me" / ".local" / "share" / "digit-net").resolve()
    store.close()


def test_the_database_is_in_wal_mode_and_readable_while_a_writer_holds_it(tmp_path):
    """WAL: pages read the run list while the training thread is in the middle of a write."""
    store = RunStore(tmp_path)
    run_id = store.create_run(NetConfig(), "r")
    db = tmp_path / "runs.sqlite3"
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE runs SET name='half-written' WHERE id=?", (run_id,))
    try:
        assert [r.name for r in store.list_runs()] == ["r"]  # not blocked, sees the last commit
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        store.close()


def test_downsampled_curve_stays_bounded_and_even():
    curve = DownsampledCurve(max_points=10)
    for step in range(1, 1001):
        curve.add(step, float(step))
        assert len(curve) <= 10
    gaps = np.diff(curve.steps)
    assert curve.steps[0] == 1 and (gaps == curve.stride).all()
    assert curve.losses == [float(s) for s in curve.steps]
    assert curve.points_after(curve.steps[-3]) == (curve.steps[-2:], curve.losses[-2:])


def test_batch_loss_curve_stays_bounded_on_a_long_run(make_registry):
    reg = make_registry()
    reg.curve_points = 100
    run_id = reg.start(cfg(epochs=3, batch_size=4))  # 405 batches
    assert reg.wait(run_id, 20) == "finished"
    live = reg.snapshot(run_id)
    steps, losses = reg.store.batch_losses(run_id)
    assert live.step == 405 and 50 <= len(steps) <= 100
    assert np.array_equal(steps, live.curve_steps) and np.allclose(losses, live.curve_losses)
    stride = reg.store.get_run(run_id).curve_stride
    assert stride == 8 and (np.diff(steps) == stride).all() and steps[0] == 1
