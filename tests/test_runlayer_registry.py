"""The run registry: parallel and queued runs, controls, data loading, failures, the live view."""

import errno
import threading
import time

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib.config import MAX_EPOCHS, NetConfig
from netlib.data.dataset import DataError
from netlib.trainer import EpochEvent, Trainer
from netlib.training_data import prepare
from runlayer import ACTIVE_STATUSES

DATA = synthetic_dataset()
LONG = MAX_EPOCHS  # epochs: a run that only ends when stopped


def cfg(**changes):
    base = NetConfig(dataset="synthetic", hidden=(16,), activation="relu", epochs=3, batch_size=32)
    return base.replace(**changes)


def until(predicate, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def test_parallel_runs_record_only_their_own_metrics(make_registry):
    reg = make_registry(max_parallel=4)
    configs = [
        cfg(hidden=(8,), lr=0.05, seed=1),
        cfg(hidden=(24,), lr=0.2, seed=2),
        cfg(hidden=(16, 8), optimizer="adam", lr=0.01, seed=3),
        cfg(hidden=(12,), activation="tanh", lr=0.1, seed=4),
    ]
    ids = [reg.start(c, name=f"run {i}") for i, c in enumerate(configs)]
    # a fast machine may have finished the first before the last was started
    assert all(reg.snapshot(i).status in (*ACTIVE_STATUSES, "finished") for i in ids)
    assert [reg.wait(i, 120) for i in ids] == ["finished"] * 4
    for run_id, config in zip(ids, configs, strict=True):
        expected = []
        data = prepare(DATA, config.val_fraction, config.seed, config.dtype)
        Trainer(config, data, [expected.append]).run()
        expected = [e for e in expected if isinstance(e, EpochEvent)]
        stored = reg.store.epoch_metrics(run_id)
        assert [m["train_loss"] for m in stored] == pytest.approx(
            [e.train_loss for e in expected], rel=1e-5
        )
        assert reg.store.get_run(run_id).config == config
        assert reg.store.load_weights(run_id, "last")[0].sizes == [144, *config.hidden, 10]
    assert reg.active() == []
    assert reg.store.integrity_check() == "ok"


def test_max_parallel_one_queues_runs_first_come_first_served(make_registry):
    reg = make_registry(max_parallel=1)
    # the first trains until stopped, so the other two are queued however fast the machine is
    ids = [reg.start(cfg(epochs=LONG, batch_size=8))]
    ids += [reg.start(cfg(epochs=4, batch_size=8, seed=s)) for s in (1, 2)]
    first = reg.active()
    assert [s.run_id for s in first] == ids
    assert [s.status for s in first[1:]] == ["queued", "queued"]
    assert [s.queue_position for s in first[1:]] == [1, 2]
    seen, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            seen.append([s.status for s in reg.active()])
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        until(lambda: reg.snapshot(ids[0]).step > 0, what="the first run to train")
        assert reg.stop(ids[0])
        assert [reg.wait(i, 120) for i in ids] == ["stopped", "finished", "finished"]
    finally:
        stop.set()
        watcher.join()
    assert all(sum(st != "queued" for st in statuses) <= 1 for statuses in seen)
    records = [reg.store.get_run(i) for i in ids]
    for earlier, later in zip(records, records[1:], strict=False):
        assert earlier.ended <= later.started


def test_pause_resume_lr_and_stop_through_the_registry(make_registry):
    reg = make_registry()
    run_id = reg.start(cfg(epochs=LONG, batch_size=8))
    until(lambda: reg.snapshot(run_id).step >= 3, what="first batches")
    assert reg.pause(run_id)
    assert reg.snapshot(run_id).status == reg.store.get_run(run_id).status == "paused"
    until(lambda: reg.snapshot(run_id).held, what="the batch in flight to finish")
    frozen = reg.snapshot(run_id).step
    time.sleep(0.2)
    assert reg.snapshot(run_id).step == frozen
    assert reg.set_lr(run_id, 0.0123)
    with pytest.raises(ValueError, match="learning rate"):
        reg.set_lr(run_id, -1)
    assert reg.resume(run_id)
    assert reg.store.get_run(run_id).status == "running"
    until(lambda: reg.snapshot(run_id).step > frozen + 3, what="training to resume")
    snap = reg.snapshot(run_id)
    assert snap.lr == pytest.approx(0.0123)
    assert snap.samples_per_sec > 0 and snap.eta_seconds > 0 and 0 < snap.progress < 1
    assert reg.stop(run_id)
    assert reg.wait(run_id, 60) == "stopped"
    assert reg.store.get_run(run_id).reason == "stopped by the user"
    assert not reg.pause(run_id) and not reg.resume(run_id) and not reg.stop(run_id)
    assert not reg.set_lr(run_id, 0.1) and not reg.pause("000000000000")


def test_stopping_a_queued_run_cancels_it_and_pauses_carry_over(make_registry):
    reg = make_registry(max_parallel=1)
    busy = reg.start(cfg(epochs=LONG, batch_size=8))
    cancelled = reg.start(cfg())
    waiting = reg.start(cfg(epochs=2))
    assert reg.stop(cancelled)
    rec = reg.store.get_run(cancelled)
    assert rec.status == "stopped" and rec.started is None and "before it started" in rec.reason
    assert reg.snapshot(waiting).queue_position == 1
    assert reg.pause(waiting) and reg.set_lr(waiting, 0.05)
    until(lambda: reg.snapshot(busy).status == "running", what="the first run to train")
    reg.stop(busy)
    until(lambda: reg.snapshot(waiting).status == "paused", what="the queued run to start")
    assert reg.store.get_run(waiting).status == "paused"
    reg.resume(waiting)
    assert reg.wait(waiting, 120) == "finished"
    assert [m["lr"] for m in reg.store.epoch_metrics(waiting)] == pytest.approx([0.05, 0.05])
    assert reg.store.saved_epochs(cancelled) == []


def test_data_error_fails_the_run_with_its_message(make_registry):
    def loader(dataset_id, progress):
        raise DataError(f"unknown data set {dataset_id!r}")

    reg = make_registry(loader=loader)
    run_id = reg.start(cfg(dataset="nope"))
    assert reg.wait(run_id, 60) == "failed"
    assert reg.store.get_run(run_id).reason == "unknown data set 'nope'"
    assert reg.snapshot(run_id).reason == "unknown data set 'nope'"


def test_loading_shows_progress_and_data_is_loaded_once(make_registry):
    release, calls = threading.Event(), []

    def loader(dataset_id, progress):
        calls.append(dataset_id)
        progress(512, 1024, "train-images.gz")
        release.wait(10)
        return DATA

    reg = make_registry(loader=loader)
    first = reg.start(cfg(epochs=1))
    until(lambda: reg.snapshot(first).load_done == 512, what="load progress")
    snap = reg.snapshot(first)
    assert (snap.status, snap.load_total, snap.load_file) == ("loading", 1024, "train-images.gz")
    assert snap.progress == 0.5  # the page's progress bar shows the download
    assert reg.store.get_run(first).status == "loading"
    second = reg.start(cfg(epochs=1, seed=5))
    release.set()
    assert reg.wait(first, 60) == reg.wait(second, 60) == "finished"
    assert calls == ["synthetic"]


def test_stopping_while_loading_ends_the_run_without_training(make_registry):
    release = threading.Event()

    def loader(dataset_id, progress):
        release.wait(10)
        return DATA

    reg = make_registry(loader=loader)
    run_id = reg.start(cfg())
    until(lambda: reg.snapshot(run_id).status == "loading", what="loading")
    assert [s.status for s in reg.active()] == ["loading"]
    assert reg.stop(run_id)
    release.set()
    assert reg.wait(run_id, 60) == "stopped"
    rec = reg.store.get_run(run_id)
    assert rec.reason == "stopped while loading data" and rec.epochs_done == 0


def test_an_uploaded_data_set_can_be_trained_on(make_registry):
    def loader(dataset_id, progress):
        raise DataError("the loader must not be asked for uploads")

    reg = make_registry(loader=loader)
    upload = synthetic_dataset(n_train=200, n_test=50, size=8, classes=4, seed=3, name="mine")
    reg.add_dataset("upload-1", upload)
    run_id = reg.start(cfg(dataset="upload-1", epochs=2))
    assert reg.wait(run_id, 60) == "finished"
    assert reg.store.load_weights(run_id)[0].sizes == [64, 16, 4]
    assert reg.store.confusion(run_id, 2).shape == (4, 4)


def test_a_listener_exception_fails_only_that_run(make_registry):
    def listener(run_id, event):
        if isinstance(event, EpochEvent) and event.epoch == 2 and run_id == doomed[0]:
            raise RuntimeError("injected fault")

    doomed = []
    reg = make_registry(listeners=[listener])
    doomed.append(reg.start(cfg(epochs=4)))
    assert reg.wait(doomed[0], 10) == "failed"
    rec = reg.store.get_run(doomed[0])
    assert rec.reason == "RuntimeError: injected fault" and rec.ended is not None
    assert [m["epoch"] for m in reg.store.epoch_metrics(doomed[0])] == [1, 2]
    healthy = reg.start(cfg(epochs=2))
    assert reg.wait(healthy, 60) == "finished"


def test_a_full_disk_fails_the_run_with_a_clear_reason(make_registry, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    reg = make_registry()
    monkeypatch.setattr("runlayer.store.save_model", disk_full)
    run_id = reg.start(cfg())
    assert reg.wait(run_id, 60) == "failed"
    reason = reg.store.get_run(run_id).reason
    assert "could not save the weights of epoch 1" in reason and "No space left" in reason
    assert reg.active() == []


def test_divergence_is_its_own_status_with_a_reason(make_registry):
    reg = make_registry()
    run_id = reg.start(cfg(lr=1e3, init="normal", init_scale=5.0, epochs=50))
    assert reg.wait(run_id, 20) == "diverged"
    rec = reg.store.get_run(run_id)
    assert "diverged at epoch" in rec.reason and "lower the learning rate" in rec.reason
    assert rec.final_test_acc is not None


def test_live_view_moves_mid_epoch_and_hands_out_copies(make_registry):
    reg = make_registry()
    reg.snapshot_seconds = 0.0
    run_id = reg.start(cfg(epochs=2, batch_size=8))
    assert reg.wait(run_id, 60) == "finished"
    snap = reg.snapshot(run_id)
    assert snap.net_version > 2 * snap.batches - 5  # refreshed about every batch, not per epoch
    assert snap.status == "finished" and not snap.active and snap.progress == 1.0
    snap.curve_losses[:] = 0
    assert reg.snapshot(run_id).curve_losses.any()
    with pytest.raises(ValueError):
        snap.confusion[0, 0] = 99
    snap.metrics[0]["train_loss"] = -1
    assert reg.snapshot(run_id).metrics[0]["train_loss"] > 0


def test_delete_stops_a_live_run_first(make_registry):
    reg = make_registry()
    run_id = reg.start(cfg(epochs=LONG, batch_size=8))
    until(lambda: reg.snapshot(run_id).epoch >= 2, what="an epoch")
    reg.delete(run_id)
    assert reg.store.get_run(run_id) is None and reg.store.list_runs() == []
    assert not (reg.store.home / "runs" / run_id).exists()


def test_shutdown_stops_everything_and_refuses_new_runs(make_registry):
    reg = make_registry(max_parallel=1)
    running = reg.start(cfg(epochs=LONG, batch_size=8))
    queued = reg.start(cfg())
    until(lambda: reg.snapshot(running).step > 0, what="the first batch")
    reg.shutdown()
    assert reg.store.get_run(running).status == "stopped"
    assert reg.store.get_run(queued).status == "stopped"
    with pytest.raises(Exception, match="shut down"):
        reg.start(cfg())
    assert np.isfinite(reg.store.batch_losses(running)[1]).all()
