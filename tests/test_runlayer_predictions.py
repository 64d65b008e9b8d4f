"""Per-epoch test predictions (issue 20): a run keeps every epoch's predicted class per test
sample (one byte each) in its folder, within its disk budget; the file is checked on read."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib.config import NetConfig
from netlib.scoring import evaluate
from runlayer import predictions
from runlayer.errors import StoreError


def test_a_run_keeps_every_epochs_predictions_equal_to_its_weights_then(make_registry):
    reg = make_registry()
    config = NetConfig(dataset="synthetic", hidden=(16,), activation="relu", epochs=4)
    run_id = reg.start(config)
    assert reg.wait(run_id, 600) == "finished"
    kept = reg.store.predictions(run_id)
    ds = synthetic_dataset()
    assert kept.shape == (4, len(ds.test_labels)) and kept.dtype == np.uint8
    for epoch in reg.store.saved_epochs(run_id):
        net, _, _ = reg.store.load_weights(run_id, epoch)
        scored = evaluate(net, ds.test_images, ds.test_labels, ds.max_value)
        np.testing.assert_array_equal(kept[epoch - 1], scored.pred)
    cm = reg.store.confusion(run_id, 4)
    assert (np.bincount(kept[-1], minlength=10) == cm.sum(axis=0)).all()


def test_epochs_are_written_in_order_and_a_rewrite_drops_the_later_ones(tmp_path):
    budget = 10**6
    for epoch in (1, 2, 3):
        assert predictions.write_epoch(tmp_path, epoch, np.full(5, epoch), budget)
    assert not predictions.write_epoch(tmp_path, 5, np.zeros(5), budget)  # a gap: refused
    assert predictions.read_all(tmp_path, budget).tolist() == [[1] * 5, [2] * 5, [3] * 5]
    assert predictions.write_epoch(tmp_path, 2, np.full(5, 7), budget)
    assert predictions.read_all(tmp_path, budget).tolist() == [[1] * 5, [7] * 5]


def test_the_file_takes_at_most_a_quarter_of_the_run_budget(tmp_path):
    budget = 4 * 30  # 30 bytes: three epochs of 10 samples
    written = [predictions.write_epoch(tmp_path, e, np.zeros(10), budget) for e in (1, 2, 3, 4)]
    assert written == [True, True, True, False]
    assert predictions.read_all(tmp_path, budget).shape == (3, 10)


def test_a_damaged_or_foreign_file_is_refused_with_a_clear_message(tmp_path):
    assert predictions.read_all(tmp_path, 100) is None  # no file: no predictions
    predictions.write_epoch(tmp_path, 1, np.zeros(10), 10**6)
    with pytest.raises(StoreError, match="another test set"):
        predictions.write_epoch(tmp_path, 2, np.zeros(11), 10**6)
    with pytest.raises(StoreError, match="larger"):
        predictions.read_all(tmp_path, 5)
    predictions.path_in(tmp_path).write_bytes(b"not a predictions file, really")
    with pytest.raises(StoreError, match="not a predictions file"):
        predictions.read_all(tmp_path, 10**6)
    predictions.path_in(tmp_path).write_bytes(b"DN")
    with pytest.raises(StoreError, match="cut short"):
        predictions.read_all(tmp_path, 10**6)
    with pytest.raises(ValueError, match="0..255"):
        predictions.write_epoch(tmp_path, 1, np.array([300]), 10**6)
