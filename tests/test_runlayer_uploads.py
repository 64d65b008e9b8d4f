"""Uploads kept by content on disk: one data set per file, the same data after a restart, a
bounded number loaded in memory, deletion guarded by the runs that use an upload."""

import errno
import gc
import json
import os
import weakref

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib import scoring
from netlib.config import NetConfig
from netlib.data.dataset import DataError
from runlayer import RunError, RunRegistry, StoreError
from runlayer import uploads as upload_files
from runlayer.registry import UploadInUseError
from runlayer.uploads import UploadStore, content_id


def arrays(seed=0, n=120, size=8, classes=4):
    """Images and labels as a parser returns them (the canonical uint8 / int64 pair)."""
    ds = synthetic_dataset(n_train=n, n_test=1, size=size, classes=classes, seed=seed)
    return ds.train_images, ds.train_labels


def cfg(dataset_id, **changes):
    base = NetConfig(dataset=dataset_id, hidden=(16,), activation="relu", epochs=3, batch_size=32)
    return base.replace(**changes)


def no_loader(dataset_id, progress):
    raise AssertionError(f"the loader must not be asked for {dataset_id!r}")


@pytest.fixture
def make_registry(tmp_path):
    made = []

    def make(home=tmp_path / "home", **kw):
        kw.setdefault("loader", no_loader)
        reg = RunRegistry(home, **kw)
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.close()


def test_the_id_is_a_hash_of_the_content_not_of_the_name_or_the_order_of_uploads():
    x, y = arrays()
    same = content_id(x.copy(), y.astype(np.int32))
    assert content_id(x, y) == same and upload_files.is_upload_id(same)
    y2 = y.copy()
    y2[5] = (y2[5] + 1) % 4
    x2 = x.copy()
    x2[0, 0, 0] ^= 1
    assert len({same, content_id(x, y2), content_id(x2, y)}) == 3  # one label, one pixel
    assert content_id(x.reshape(len(x), 4, 16), y) != same  # same bytes, other shape


def test_the_same_file_twice_is_one_data_set_and_one_copy_in_memory(make_registry, tmp_path):
    reg = make_registry()
    x, y = arrays()
    info, ds = reg.save_upload(x, y, "mine.csv")
    again, ds_again = reg.save_upload(x.copy(), y.copy(), "renamed.csv")
    assert again == info and ds_again is ds  # the loaded copy, not a second one
    assert reg.loaded_datasets() == [info.id]
    assert [u.id for u in reg.uploads.list()] == [info.id]
    assert info.name == "mine.csv" and info.image_shape == (8, 8)
    assert (info.n_train, info.n_test) == (100, 20)
    assert info.class_counts == (30, 30, 30, 30) and info.class_names == ("0", "1", "2", "3")
    folder = tmp_path / "home" / "uploads"
    assert sorted(os.listdir(folder)) == [f"{info.id}.json", f"{info.id}.npz"]
    assert json.loads((folder / f"{info.id}.json").read_text())["name"] == "mine.csv"


def test_after_a_restart_the_upload_trains_and_scores_on_the_same_images(make_registry, tmp_path):
    first = make_registry()
    x, y = arrays(seed=3)
    info, ds = first.save_upload(x, y, "digits.csv")
    run_id = first.start(cfg(info.id, epochs=2))
    assert first.wait(run_id, 30) == "finished"
    recorded = first.store.get_run(run_id).final_test_acc
    first.close()

    second = make_registry()  # a new server on the same NETLIB_HOME
    assert second.loaded_datasets() == []
    back = second.dataset(info.id)
    for name in ("train_images", "train_labels", "test_images", "test_labels"):
        np.testing.assert_array_equal(getattr(back, name), getattr(ds, name))
    assert back.name == "digits.csv" and back.class_names == ds.class_names
    net, config, _ = second.store.load_weights(run_id, "last")
    ev = scoring.evaluate(net, back.test_images, back.test_labels, back.max_value, config.loss)
    assert float(ev.correct.mean()) == pytest.approx(recorded, abs=1e-12)
    rerun = second.start(cfg(info.id, epochs=1))  # and it still trains on it
    assert second.wait(rerun, 30) == "finished"
    assert second.store.load_weights(rerun)[0].sizes == [64, 16, 4]


def test_deleting_an_upload_is_refused_while_a_run_uses_it_and_confirmed_after(make_registry):
    reg = make_registry()
    info, _ = reg.save_upload(*arrays(), "in use.csv")
    other, _ = reg.save_upload(*arrays(seed=1), "unused.csv")
    live = reg.store.create_run(cfg(info.id), "still training", status="running")
    with pytest.raises(RunError, match=r"1 run\(s\) still use this data set \(still training\)"):
        reg.delete_upload(info.id, force=True)  # force never deletes under a live run
    reg.store.update_run(live, status="finished")
    with pytest.raises(UploadInUseError, match="can no longer be inspected"):
        reg.delete_upload(info.id)
    assert [u.id for u in reg.uploads.list()] == [other.id, info.id]  # nothing deleted yet
    assert set(reg.upload_users()) == {info.id}
    reg.delete_upload(info.id, force=True)
    assert [u.id for u in reg.uploads.list()] == [other.id]
    assert info.id not in reg.loaded_datasets()
    with pytest.raises(DataError, match="deleted on the Data page"):
        reg.dataset(info.id)
    reg.delete_upload(other.id)  # no run ever used it: deleted at once
    assert reg.uploads.list() == []
    with pytest.raises(RunError, match="already deleted"):
        reg.delete_upload(other.id)


def test_at_most_max_datasets_stay_loaded_least_recently_used_first(make_registry):
    reg = make_registry()
    reg.max_datasets = 2
    ids, alive = [], []
    for seed in range(3):
        info, ds = reg.save_upload(*arrays(seed=seed), f"{seed}.csv")
        ids.append(info.id)
        alive.append(weakref.ref(ds))
        del ds
    assert reg.loaded_datasets() == ids[1:]
    gc.collect()
    assert [r() is not None for r in alive] == [False, True, True]  # no hidden copy elsewhere
    reg.dataset(ids[1])  # used again: now the most recent
    reg.dataset(ids[0])  # read back from disk, evicting the least recently used
    assert reg.loaded_datasets() == [ids[1], ids[0]]
    for _ in range(8):  # the 8 clicks of the issue: never a copy more
        reg.save_upload(*arrays(seed=2), "again.csv")
        assert len(reg.loaded_datasets()) == 2
    gc.collect()
    assert sum(r() is not None for r in alive) <= 2


def test_a_byte_budget_keeps_only_the_newest_when_data_sets_are_large(make_registry):
    reg = make_registry()
    first, _ = reg.save_upload(*arrays(seed=0), "a.csv")
    reg.max_dataset_bytes = first.data_bytes + 1  # room for one
    second, _ = reg.save_upload(*arrays(seed=1), "b.csv")
    assert reg.loaded_datasets() == [second.id]
    reg.max_dataset_bytes = 0
    assert reg.dataset(first.id).name == "a.csv"  # the newest always stays, however large
    assert reg.loaded_datasets() == [first.id]


def test_in_memory_data_sets_are_never_evicted(make_registry):
    reg = make_registry()
    reg.max_datasets = 1
    pinned = synthetic_dataset(n_train=40, n_test=10)
    reg.add_dataset("synthetic", pinned)
    for seed in range(3):
        reg.save_upload(*arrays(seed=seed), f"{seed}.csv")
    assert reg.dataset("synthetic") is pinned
    assert len(reg.loaded_datasets()) == 2  # the pinned one and the latest upload


def test_an_old_counter_id_is_refused_never_resolved_to_another_file(make_registry):
    reg = make_registry()
    reg.save_upload(*arrays(), "new.csv")  # an upload exists, but never under "upload-1"
    for old in ("upload-1", "upload-7"):
        with pytest.raises(
            DataError, match="before uploads were kept on disk.*no longer available"
        ):
            reg.dataset(old)
    run_id = reg.start(cfg("upload-1"))
    assert reg.wait(run_id, 30) == "failed"
    assert "no longer available" in reg.store.get_run(run_id).reason


def test_a_damaged_or_swapped_upload_file_is_a_data_error(make_registry, tmp_path):
    reg = make_registry()
    info, _ = reg.save_upload(*arrays(n=600), "mine.csv")
    small, _ = reg.save_upload(*arrays(seed=1, n=20), "small.csv")
    reg.close()
    fresh = make_registry()  # nothing loaded yet: every load reads the files
    folder = tmp_path / "home" / "uploads"
    npz = folder / f"{info.id}.npz"
    good = npz.read_bytes()
    npz.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match=r"'mine\.csv' \(upload-[0-9a-f]{12}\).*(zip|damaged)"):
        fresh.dataset(info.id)
    # The small upload's file under the big one's manifest: shapes do not match the manifest.
    npz.write_bytes((folder / f"{small.id}.npz").read_bytes())
    with pytest.raises(DataError, match="does not match its manifest"):
        fresh.dataset(info.id)
    # A file holding more than its manifest declares is refused before it is inflated.
    (folder / f"{small.id}.npz").write_bytes(good)
    with pytest.raises(DataError, match="more than"):
        fresh.dataset(small.id)
    (folder / f"{small.id}.json").write_text("{not json")
    assert [u.id for u in fresh.uploads.list()] == [info.id]  # unreadable: not listed


def test_a_failed_write_leaves_no_upload_and_no_temporary_file(
    make_registry, tmp_path, monkeypatch
):
    reg = make_registry()
    real_replace = os.replace

    def disk_full(src, dst):
        if str(dst).endswith(".json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(upload_files.os, "replace", disk_full)
    with pytest.raises(StoreError, match="No space left on device.*nothing was added"):
        reg.save_upload(*arrays(), "mine.csv")
    assert os.listdir(tmp_path / "home" / "uploads") == []
    assert reg.uploads.list() == [] and reg.loaded_datasets() == []


def test_leftover_temporaries_are_cleared_and_paths_come_only_from_ids(tmp_path):
    store = UploadStore(tmp_path)
    store.folder.mkdir()
    old, recent = store.folder / ".tmp-old.npz", store.folder / ".tmp-new.npz"
    old.write_bytes(b"x")
    recent.write_bytes(b"x")
    os.utime(old, (1, 1))
    assert store.list() == []
    assert not old.exists() and recent.exists()  # may still be being written
    for bad in ("../../etc/passwd", "upload-../../x", "upload-ABCDEF012345", "upload-1"):
        assert store.info(bad) is None
        with pytest.raises(DataError):
            store.delete(bad)
