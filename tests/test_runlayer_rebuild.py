"""A lost, truncated or damaged run database is rebuilt from the run folders' manifests."""

import json
import sqlite3

import numpy as np
import pytest
from reliability_helpers import wait_for
from synthetic_data import synthetic_dataset

from netlib.config import MAX_EPOCHS, NetConfig
from runlayer import RunStore, StoreError, paths
from runlayer.errors import DamagedStoreError
from runlayer.ownership import DirectoryLock
from runlayer.rebuild import set_aside_database

DATA = synthetic_dataset()


def cfg(**changes):
    base = NetConfig(dataset="synthetic", hidden=(16,), activation="relu", epochs=3, batch_size=32)
    return base.replace(**changes)


def everything(store: RunStore, run_id: str):
    """What the pages read about a run."""
    rec = store.get_run(run_id)
    steps, losses = store.batch_losses(run_id)
    confusions = {e: m.tolist() for e, m in store.confusions(run_id).items()}
    return rec, store.epoch_metrics(run_id), steps.tolist(), losses.tolist(), confusions


def trained(make_registry, runs=(("first", 4), ("second", 2))):
    reg = make_registry()
    ids = [reg.start(cfg(epochs=n), name=name) for name, n in runs]
    for run_id in ids:
        assert reg.wait(run_id, 60) == "finished"
    reg.rename(ids[0], "first, renamed")
    before = {i: everything(reg.store, i) for i in ids}
    reg.close()
    return reg.store.home, ids, before


def test_a_truncated_database_is_detected_and_rebuilt_whole(make_registry):
    home, ids, before = trained(make_registry)
    for name in ("runs.sqlite3", "runs.sqlite3-wal", "runs.sqlite3-shm"):
        if (home / name).exists():
            (home / name).write_bytes(b"")  # truncated to 0 bytes: SQLite sees an empty store

    reg = make_registry(home)
    assert reg.store.list_runs() == []
    assert reg.store.orphans() == sorted(ids)
    report = reg.rebuild_history()
    assert sorted(report.rebuilt) == sorted(ids) and not report.failed
    assert reg.store.orphans() == []
    for run_id in ids:
        assert everything(reg.store, run_id) == before[run_id]
    assert before[ids[0]][0].name == "first, renamed"
    assert len(before[ids[0]][1]) == 4 and before[ids[0]][2]  # epochs and a curve came back
    assert reg.rebuild_history().rebuilt == []  # nothing left to do


def test_a_damaged_database_is_set_aside_then_rebuilt(make_registry):
    home, ids, before = trained(make_registry, runs=(("only", 3),))
    (home / "runs.sqlite3").write_bytes(b"this is not a database" * 100)
    for name in ("runs.sqlite3-wal", "runs.sqlite3-shm"):
        (home / name).unlink(missing_ok=True)
    with pytest.raises(DamagedStoreError, match="damaged.*rebuild"):
        RunStore(home)

    aside = set_aside_database(home)
    assert aside.read_bytes().startswith(b"this is not")  # kept for whoever wants to look
    reg = make_registry(home)
    assert reg.rebuild_history().rebuilt == ids
    assert everything(reg.store, ids[0]) == before[ids[0]]


def test_setting_aside_is_refused_while_another_process_owns_the_directory(tmp_path):
    home = tmp_path / "home"
    RunStore(home).close()
    holder = DirectoryLock(home)
    assert holder.acquire()
    try:
        with pytest.raises(StoreError, match="owns"):
            set_aside_database(home)
        assert (home / "runs.sqlite3").exists()
    finally:
        holder.release()


def test_folders_from_before_manifests_come_back_from_their_weights(make_registry):
    home, ids, before = trained(make_registry, runs=(("old", 3), ("broken", 2), ("empty", 1)))
    old, broken, empty = (paths.run_dir(home, i) for i in ids)
    for folder in (old, broken, empty):
        for name in ("run.json", "history.jsonl", "curve.jsonl"):
            (folder / name).unlink(missing_ok=True)
    for f in broken.glob("epoch-*.npz"):
        f.write_bytes(b"PK\x03\x04 not a model")
    for f in empty.glob("*.npz"):
        f.unlink()
    (home / "runs.sqlite3").write_bytes(b"")

    reg = make_registry(home)
    report = reg.rebuild_history()
    assert report.rebuilt == report.from_weights == [ids[0]]
    failed = dict(report.failed)
    assert "no run.json" in failed[ids[1]] and "unreadable" in failed[ids[1]]
    assert "no weight file" in failed[ids[2]]
    rec = reg.store.get_run(ids[0])
    assert rec.status == "interrupted" and "metrics are gone" in rec.reason
    assert rec.config == cfg(epochs=3) and rec.epochs_done == 3
    net, _, _ = reg.store.load_weights(ids[0], "last")  # Inspect still works on it
    assert net.sizes == [144, 16, 10]
    assert "2 folder(s) could not be read" in report.summary()


def test_hostile_or_torn_manifests_never_raise(make_registry):
    home, ids, before = trained(make_registry, runs=(("a", 3), ("b", 2), ("c", 2), ("d", 2)))
    a, b, c, d = (paths.run_dir(home, i) for i in ids)
    record = json.loads((a / "run.json").read_text())
    record |= {"status": "running", "epochs_done": "many", "name": 5, "best_val_acc": [1]}
    (a / "run.json").write_text(json.dumps(record))
    with open(a / "history.jsonl", "a") as fh:
        fh.write('{"epoch": {"epoch": 99, "train_lo')  # killed mid-append
    (b / "run.json").write_text(json.dumps(record | {"id": ids[0]}))  # names another run
    (c / "run.json").write_text("[" * 100_000)  # nested past any recursion limit
    hostile = json.loads((d / "run.json").read_text()) | {"status": [1], "reason": {"x": 1}}
    (d / "run.json").write_text(json.dumps(hostile))  # a status that would not even hash
    (home / "runs.sqlite3").write_bytes(b"")

    reg = make_registry(home)
    report = reg.rebuild_history()
    assert sorted(report.rebuilt) == sorted(ids)
    rec = reg.store.get_run(ids[0])
    assert rec.status == "interrupted" and "running" in rec.reason  # nothing trains it now
    assert rec.name == ids[0] and rec.epochs_done == 0 and rec.best_val_acc is None
    assert [m["epoch"] for m in reg.store.epoch_metrics(ids[0])] == [1, 2, 3]
    assert (reg.store.get_run(ids[3]).status, reg.store.get_run(ids[3]).reason) == (
        "interrupted", "",
    )  # fmt: skip
    # b named another run and c was unreadable: both fall back to their weight files
    assert sorted(report.from_weights) == sorted(ids[1:3])


def test_a_live_run_is_never_rebuilt_over(make_registry, tmp_path):
    reg = make_registry()
    run_id = reg.start(cfg(epochs=MAX_EPOCHS))
    wait_for(lambda: reg.store.epoch_metrics(run_id), 60, "the first epoch")
    # Held in a pause, the run writes nothing while its row is gone (a write to the missing
    # row would end it, and an ended run may rightly be rebuilt).
    assert reg.pause(run_id)
    wait_for(lambda: reg.snapshot(run_id).held, 60, "the batch in flight to finish")
    with sqlite3.connect(reg.store.home / "runs.sqlite3") as db:
        db.execute("DELETE FROM runs WHERE id=?", (run_id,))
    assert reg.store.orphans() == [run_id]
    assert reg.rebuild_history().rebuilt == []
    assert not reg.live(run_id).done.is_set()
    reg.stop(run_id)
    assert reg.live(run_id).done.wait(60)


def test_the_manifest_follows_every_change_of_the_row(make_registry):
    reg = make_registry()
    run_id = reg.start(cfg(epochs=2), name="x")
    assert reg.wait(run_id, 60) == "finished"
    reg.rename(run_id, "renamed")
    record = json.loads((paths.run_dir(reg.store.home, run_id) / "run.json").read_text())
    rec = reg.store.get_run(run_id)
    assert record["name"] == "renamed" and record["status"] == "finished"
    assert record["final_test_acc"] == rec.final_test_acc and record["epochs_done"] == 2
    lines = (paths.run_dir(reg.store.home, run_id) / "history.jsonl").read_text().splitlines()
    cm = [json.loads(line)["confusion"] for line in lines]
    assert np.array_equal(cm[-1], reg.store.confusion(run_id, 2))
