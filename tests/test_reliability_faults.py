"""Faults: a step that raises, a diverging rate, a server killed mid-epoch, a full or unusable
disk, a run stopped mid-epoch. Each ends in a clear status and a consistent record."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from reliability_helpers import (
    ROOT,
    button,
    reset_app_state,
    session,
    shut_down_app_state,
    texts,
    wait_for,
)
from synthetic_data import synthetic_dataset

from app import navigation, state, tab_state
from netlib.config import MAX_EPOCHS, NetConfig
from netlib.network import MLP
from runlayer import RunRegistry, RunStore, StoreError

DATA = synthetic_dataset()


def cfg(**changes) -> NetConfig:
    base = NetConfig(dataset="synthetic", hidden=(16,), activation="relu", epochs=3, batch_size=32)
    return base.replace(**changes)


@pytest.fixture
def registry(tmp_path):
    made = []

    def make(**kw):
        kw.setdefault("loader", lambda dataset_id, progress: DATA)
        made.append(RunRegistry(tmp_path / f"home{len(made)}", **kw))
        return made[-1]

    yield make
    for reg in made:
        reg.close()


@pytest.fixture
def app(tmp_path, monkeypatch):
    """A fresh 'server': its own data directory, registry and uploads."""
    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "home"))
    reset_app_state()
    yield session
    shut_down_app_state()


def _run_files_are_consistent(store: RunStore, run_id: str) -> list[int]:
    """Every recorded epoch has a loadable checkpoint, epochs are 1..k; returns them."""
    epochs = [m["epoch"] for m in store.epoch_metrics(run_id)]
    assert epochs == list(range(1, len(epochs) + 1))
    assert store.get_run(run_id).epochs_done == len(epochs)
    assert set(epochs) <= set(store.saved_epochs(run_id))
    for epoch in epochs:
        net, config, meta = store.load_weights(run_id, epoch)
        assert meta["epoch"] == epoch and net.sizes[1:-1] == list(config.hidden)
        assert all(np.isfinite(p).all() for p in net.params())
    return epochs


# -- an exception inside a training step ------------------------------------------------------
def test_an_exception_inside_a_step_fails_that_run_and_the_others_go_on(app, monkeypatch):
    reg = state.get_registry()  # the page's registry, so a tab can show the failure
    reg.max_parallel = 2
    reg.add_dataset("synthetic", DATA)
    calls: dict[str, int] = {}
    real_backward = MLP.backward

    def backward(self, *args, **kwargs):  # the doomed run's 30th backward pass raises
        run_id = threading.current_thread().name.removeprefix("digit-net-run-")
        calls[run_id] = calls.get(run_id, 0) + 1
        if calls[run_id] == 30 and reg.live(run_id).config.seed == 9:  # the doomed run
            raise FloatingPointError("injected fault in backward")
        return real_backward(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "backward", backward)
    bad = reg.start(cfg(epochs=4, seed=9), name="doomed")
    healthy = [reg.start(cfg(seed=s), name=f"healthy {s}") for s in range(3)]
    assert reg.wait(bad, 30) == "failed"
    ends = [reg.wait(r, 30) for r in healthy]
    assert ends == ["finished"] * 3, [reg.snapshot(r).reason for r in healthy]  # one was queued
    record = reg.store.get_run(bad)
    assert record.reason == "FloatingPointError: injected fault in backward"
    assert reg.snapshot(bad).reason == record.reason and record.ended is not None
    assert _run_files_are_consistent(reg.store, bad) == [1]  # 17 batches per epoch: died in 2
    for run_id in healthy:
        assert _run_files_are_consistent(reg.store, run_id) == [1, 2, 3]
    at = app()
    at.session_state[tab_state.WATCHED_RUN_KEY] = bad  # a tab watching the doomed run
    at.run()
    assert not at.exception
    assert any("Run failed: FloatingPointError: injected fault" in e for e in texts(at.error))
    assert reg.active() == [] and reg.store.integrity_check() == "ok"


# -- divergence -------------------------------------------------------------------------------
def test_a_rate_of_1e3_from_a_link_diverges_with_its_reason(app):
    at = app()
    at.query_params.update(dataset="digits-8x8", lr="1000", epochs="20")
    at.run()
    assert at.select_slider(key="f_lr").value == 1000.0 and not at.warning
    button(at, "Start training").click().run()
    run_id = at.session_state[tab_state.WATCHED_RUN_KEY]
    reg = state.get_registry()
    assert reg.wait(run_id, 60) == "diverged"
    record = reg.store.get_run(run_id)
    assert record.reason.startswith("diverged at epoch 1 batch ")
    assert "lower the learning rate" in record.reason and record.final_test_acc is not None
    at.run()
    assert any("Run diverged: diverged at epoch" in e for e in texts(at.error))


# -- the server killed with SIGKILL mid-epoch -------------------------------------------------
SERVER = """
import json, sys, time
sys.path[:0] = [{root!r}, {tests!r}]
from reliability_helpers import button, session
from app import state, tab_state
at = session()
at.run()
at.text_input(key="f_hidden").set_value("32")
at.selectbox(key="f_batch").set_value("8")
at.number_input(key="f_epochs").set_value(5000)
at.text_input(key="f_name").set_value("killed mid-epoch")
at.run()
button(at, "Start training").click().run()
run_id = at.session_state[tab_state.WATCHED_RUN_KEY]
while True:  # a tab left open: the page polls while the run trains
    at.run()
    s = state.get_registry().snapshot(run_id)
    print(json.dumps(dict(epoch=s.epoch, batch=s.batch, batches=s.batches, done=len(s.metrics))),
          flush=True)
    time.sleep(0.05)
"""


def test_a_server_killed_mid_epoch_restarts_with_an_interrupted_run_intact(app, tmp_path):
    home = tmp_path / "home"
    code = SERVER.format(root=str(ROOT), tests=str(ROOT / "tests"))
    env = dict(os.environ, NETLIB_HOME=str(home))
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    seen = None
    watchdog = threading.Timer(150, child.kill)  # never hang on a silent child
    watchdog.start()
    try:
        deadline = time.monotonic() + 90
        for line in child.stdout:  # kill once two epochs are saved and the third is half done
            progress = json.loads(line)
            if progress["done"] >= 2 and 0.2 < progress["batch"] / progress["batches"] < 0.8:
                os.kill(child.pid, signal.SIGKILL)
                seen = progress
                break
            assert time.monotonic() < deadline, f"no mid-epoch moment seen: {progress}"
    finally:
        watchdog.cancel()
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        child.stdout.close()
    assert seen is not None, "the server process ended before it trained two epochs"
    assert child.returncode == -signal.SIGKILL

    at = app()  # the restarted server: same data directory, fresh process state
    at.run()
    assert not at.exception
    store = state.get_registry().store
    assert store.integrity_check() == "ok"
    [record] = store.list_runs()
    assert (record.name, record.status) == ("killed mid-epoch", "interrupted")
    assert record.reason == "the server stopped while the run was running"
    epochs = _run_files_are_consistent(store, record.id)
    print(
        f"\n[sigkill] killed at epoch {seen['epoch']} batch {seen['batch']}/{seen['batches']} "
        f"({seen['done']} epochs seen finished); after restart: {record.status}, "
        f"{len(epochs)} epochs with checkpoints, integrity ok"
    )
    assert seen["done"] <= len(epochs) <= seen["epoch"]  # every finished epoch is there
    net, config, meta = store.load_weights(record.id, "last")
    assert meta["epoch"] == epochs[-1] and config.hidden == (32,)
    steps, losses = store.batch_losses(record.id)
    assert (np.diff(steps) == record.curve_stride).all() and np.isfinite(losses).all()
    at.switch_page(navigation.COMPARE.script).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert table["status"].tolist() == ["interrupted"]
    # the restarted server trains again
    at.switch_page(navigation.TRAIN.script).run()
    at.selectbox(key="f_dataset").set_value("digits-8x8")
    at.number_input(key="f_epochs").set_value(1)
    at.run()
    button(at, "Start training").click().run()
    assert state.get_registry().wait(at.session_state[tab_state.WATCHED_RUN_KEY], 60) == "finished"


# -- a full or unusable disk ------------------------------------------------------------------
class FullDisk:
    """Stands in for the store's SQLite connection: every write fails as on a full disk."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "COMMIT", "BEGIN")

    def __init__(self, db, writes=WRITES):
        self._db, self._writes = db, writes

    def execute(self, sql, *args):
        if sql.lstrip().upper().startswith(self._writes):
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_a_full_disk_at_start_is_a_clear_error_on_the_page_and_no_hang(app):
    at = app()
    at.run()
    at.selectbox(key="f_dataset").set_value("digits-8x8")
    at.number_input(key="f_epochs").set_value(1)
    at.run()
    store = state.get_registry().store
    real = store._db
    store._db = FullDisk(real)
    try:
        t0 = time.monotonic()
        button(at, "Start training").click().run()
        assert time.monotonic() - t0 < 10
        assert not at.exception
        [error] = texts(at.error)
        assert error.startswith("Could not start the run: could not create a run")
        assert "database or disk is full" in error
        assert state.get_registry().active() == []
    finally:
        store._db = real
    button(at, "Start training").click().run()  # space freed: the same click works
    assert not at.error
    assert state.get_registry().wait(at.session_state[tab_state.WATCHED_RUN_KEY], 60) == "finished"


def test_a_disk_filling_up_mid_run_fails_it_clearly_and_the_server_goes_on(registry, monkeypatch):
    reg = registry(max_parallel=1)
    run_id = reg.start(cfg(epochs=MAX_EPOCHS, batch_size=8), name="fills the disk")
    wait_for(lambda: len(reg.store.epoch_metrics(run_id)) >= 1, 30, "a first epoch")

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("runlayer.store.save_model", no_space)
    real = reg.store._db
    with reg.store._lock:
        reg.store._db = FullDisk(real, ("INSERT", "UPDATE", "DELETE"))
    with pytest.raises(StoreError, match="database or disk is full"):  # refused at once
        reg.start(cfg(epochs=1))
    assert reg.wait(run_id, 120) == "failed"  # the live end, though the store could not save it
    reason = reg.snapshot(run_id).reason
    assert "could not save" in reason  # the weights file or the epoch's rows, whichever first
    assert "No space left on device" in reason or "database or disk is full" in reason
    assert "the result could not be saved" in reason and reg.active() == []
    assert reg.store.get_run(run_id).status == "running"  # what the full disk kept
    with reg.store._lock:
        reg.store._db = real
    monkeypatch.undo()
    later = reg.start(cfg(epochs=2))  # space freed: the next start also saves the lost end
    record = reg.store.get_run(run_id)
    assert (record.status, record.reason) == ("failed", reason) and record.ended is not None
    assert reg.wait(later, 30) == "finished"
    assert _run_files_are_consistent(reg.store, run_id)[0] == 1
    assert reg.store.integrity_check() == "ok"


def test_an_unwritable_data_directory_is_a_clear_error_on_the_page(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("not a directory")
    monkeypatch.setenv("NETLIB_HOME", str(tmp_path / "a-file" / "home"))
    reset_app_state()
    try:
        at = session()
        t0 = time.monotonic()
        at.run()
        assert time.monotonic() - t0 < 20
        assert not at.exception  # a message, not a traceback
        [error] = texts(at.error)
        assert "Cannot open the run data" in error and "not writable" in error
        assert "NETLIB_HOME" in error
        assert texts(at.sidebar.caption) == ["Run data unavailable."]
        assert not at.button  # nothing to start
    finally:
        reset_app_state()


def test_a_damaged_run_database_is_a_clear_error_on_the_page(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.sqlite3").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("NETLIB_HOME", str(home))
    reset_app_state()
    try:
        at = session()
        at.run()
        assert not at.exception
        [error] = texts(at.error)
        assert "Cannot open the run data" in error and "not a database" in error
    finally:
        reset_app_state()


# -- stopping mid-epoch -----------------------------------------------------------------------
def test_stopping_mid_epoch_from_the_page_leaves_a_consistent_record(app):
    at = app()
    at.run()
    at.selectbox(key="f_dataset").set_value("digits-8x8")
    at.selectbox(key="f_batch").set_value("1")
    at.number_input(key="f_epochs").set_value(5000)
    at.run()
    button(at, "Start training").click().run()
    reg = state.get_registry()
    run_id = at.session_state[tab_state.WATCHED_RUN_KEY]

    def mid_third_epoch():
        s = reg.snapshot(run_id)
        return s.epoch >= 3 and 0.2 < s.batch / max(s.batches, 1) < 0.8

    wait_for(mid_third_epoch, 60, "the middle of an epoch", step=0.001)
    at.run()
    button(at, "Stop").click().run()
    assert reg.wait(run_id, 30) == "stopped"
    snap = reg.snapshot(run_id)
    record = reg.store.get_run(run_id)
    assert record.reason == snap.reason == "stopped by the user"
    epochs = _run_files_are_consistent(reg.store, run_id)
    assert epochs and len(epochs) == snap.epoch - (snap.batch < snap.batches)  # not the partial
    assert reg.store.load_weights(run_id, "last")[2]["epoch"] == epochs[-1]
    assert reg.store.load_weights(run_id, "best")[2]["epoch"] == record.best_epoch
    steps, losses = reg.store.batch_losses(run_id)  # the partial epoch's curve is flushed too
    assert np.array_equal(steps, snap.curve_steps) and np.allclose(losses, snap.curve_losses)
    assert record.final_test_acc is not None and record.started <= record.ended
    assert not list((reg.store.home / "runs" / run_id).glob(".tmp-*"))
    at.run()
    assert any("Stopped: stopped by the user" in w for w in texts(at.warning))
    reg.close()
    reopened = RunStore(reg.store.home)  # a restart leaves a stopped run stopped
    assert reopened.mark_interrupted() == 0 and reopened.get_run(run_id).status == "stopped"
    reopened.close()


def test_a_failure_reason_is_shown_as_the_text_it_is(app, monkeypatch):
    """A reason quotes what went wrong (a file name, a value from a file): never markdown."""
    from netlib.data.dataset import DataError

    hostile = "bad data in ![p](http://127.0.0.1:9/x.png) **bold**"
    reg = state.get_registry()

    def failing_loader(dataset_id, progress=None):
        raise DataError(hostile)

    monkeypatch.setattr(reg, "_loader", failing_loader)
    run_id = reg.start(cfg(epochs=2, seed=4), name="doomed by its data")
    assert reg.wait(run_id, 30) == "failed"
    at = app()
    at.session_state[tab_state.WATCHED_RUN_KEY] = run_id
    at.run()
    [error] = [e.value for e in at.error if e.value.startswith("Run failed")]
    assert "![p](" not in error and "**bold**" not in error  # escaped: shown, not rendered
    assert f"Run failed: {hostile}" in texts(at.error)
