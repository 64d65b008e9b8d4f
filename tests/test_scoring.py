"""netlib.scoring: evaluating a network on a split, data set summaries, rows of samples."""

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib import metrics
from netlib import scoring as an
from netlib.config import NetConfig
from netlib.network import MLP
from netlib.trainer import EpochEvent, Trainer
from netlib.training_data import prepare

# 2x2 images, 3 classes; a hand-made linear network: logit c = sum of pixel weights W[:, c].
W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
NET = MLP([W], [np.zeros(3)], "relu")
IMAGES = np.array(
    [
        [[255, 0], [0, 0]],  # -> class 0
        [[0, 255], [0, 0]],  # -> class 1
        [[0, 0], [255, 0]],  # -> class 2
        [[0, 0], [51, 0]],  # -> class 2, less sure
        [[255, 0], [0, 0]],  # -> class 0
    ],
    dtype=np.uint8,
)
LABELS = np.array([0, 1, 2, 0, 1])


def test_evaluate_scales_like_training_and_scores_every_sample():
    ev = an.evaluate(NET, IMAGES, LABELS, max_value=255)
    np.testing.assert_allclose(ev.logits[3], [0.0, 0.0, 0.2])
    np.testing.assert_array_equal(ev.pred, [0, 1, 2, 2, 0])
    np.testing.assert_allclose(ev.proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(ev.confidence, ev.proba.max(axis=1))
    np.testing.assert_array_equal(ev.correct, [True, True, True, False, False])
    assert ev.accuracy == pytest.approx(0.6)
    np.testing.assert_array_equal(ev.confusion(), metrics.confusion_matrix(LABELS, ev.pred, 3))


def test_evaluate_uses_the_losses_own_probabilities():
    ev = an.evaluate(NET, IMAGES, LABELS, max_value=255, loss="log_loss")
    s = 1 / (1 + np.exp(-ev.logits))  # per-class sigmoids, renormalised to sum to 1
    np.testing.assert_allclose(ev.proba, s / s.sum(axis=1, keepdims=True), rtol=1e-6)


def test_evaluate_matches_the_trainers_test_confusion():
    ds = synthetic_dataset(n_train=200, n_test=100)
    config = NetConfig(dataset="synthetic", hidden=(8,), activation="relu", epochs=1)
    events = []
    Trainer(config, prepare(ds, 0.1, 0), [events.append]).run()
    (epoch,) = [e for e in events if isinstance(e, EpochEvent)]
    ev = an.evaluate(epoch.net, ds.test_images, ds.test_labels, ds.max_value)
    np.testing.assert_array_equal(ev.confusion(), epoch.test_confusion)


@pytest.mark.parametrize(
    ("images", "labels", "words"),
    [
        (np.zeros((2, 3, 3), np.uint8), np.array([0, 1]), r"3×3 \(9 pixels\)"),
        (IMAGES, np.array([0, 1, 2, 3, 0]), "only 3 outputs"),
    ],
)
def test_evaluate_refuses_data_the_network_was_not_trained_on(images, labels, words):
    with pytest.raises(ValueError, match=words):
        an.evaluate(NET, images, labels, 255)


def test_class_counts_include_empty_classes():
    np.testing.assert_array_equal(an.class_counts(np.array([2, 0, 2, 2]), 4), [1, 0, 3, 0])


def test_mean_images_per_class_nan_when_a_class_is_empty():
    means = an.mean_images(IMAGES, np.array([0, 1, 0, 1, 0]), 3)
    assert means.shape == (3, 2, 2)
    np.testing.assert_allclose(means[0], [[170, 0], [85, 0]])
    np.testing.assert_allclose(means[1], [[0, 127.5], [25.5, 0]])
    assert np.isnan(means[2]).all()


def test_class_samples_one_row_per_class_seeded_and_padded():
    labels = np.array([0, 1, 0, 2, 0, 1, 0, 0])
    rows = an.class_samples(labels, 4, per_class=3, seed=5)
    assert rows.shape == (4, 3)
    for c in range(3):
        picked = rows[c][rows[c] >= 0]
        assert len(picked) == min(3, (labels == c).sum()) == len(set(picked))
        assert (labels[picked] == c).all()
    assert (rows[3] == -1).all()  # class 3 has no samples
    np.testing.assert_array_equal(rows, an.class_samples(labels, 4, 3, seed=5))
    assert an.class_samples(labels, 4, per_class=10, seed=0).shape == (4, 5)


def test_random_indices_distinct_clamped_and_seeded():
    idx = an.random_indices(50, 20, seed=3)
    assert len(set(idx)) == 20 and idx.max() < 50
    np.testing.assert_array_equal(idx, an.random_indices(50, 20, seed=3))
    assert not np.array_equal(idx, an.random_indices(50, 20, seed=4))
    assert sorted(an.random_indices(5, 20, seed=0)) == [0, 1, 2, 3, 4]


def test_prediction_sample_all_right_or_wrong():
    correct = np.array([True, False, True, True, False, True])
    assert sorted(an.prediction_sample(correct, 10, 0)) == list(range(6))
    assert sorted(an.prediction_sample(correct, 10, 0, "wrong")) == [1, 4]
    right = an.prediction_sample(correct, 2, 1, "right")
    assert len(right) == 2 and correct[right].all()
    with pytest.raises(ValueError, match="answers"):
        an.prediction_sample(correct, 2, 0, "maybe")


def _ev_with(proba, labels):
    proba = np.asarray(proba, dtype=float)
    return an.Evaluation(np.asarray(labels), np.log(proba), proba, proba.argmax(axis=1))


def test_cell_rows_are_exactly_the_cell_most_confident_first_with_top_3():
    proba = [
        [0.1, 0.2, 0.7],  # true 0 -> 2 (0.7)
        [0.05, 0.05, 0.9],  # true 0 -> 2 (0.9)
        [0.8, 0.1, 0.1],  # true 0 -> 0
        [0.3, 0.2, 0.5],  # true 0 -> 2 (0.5)
        [0.1, 0.1, 0.8],  # true 1 -> 2
    ]
    ev = _ev_with(proba, [0, 0, 0, 0, 1])
    rows = an.cell_rows(ev, 0, 2)
    np.testing.assert_array_equal(rows.index, [1, 0, 3])
    np.testing.assert_array_equal(
        rows.index, metrics.cell_samples(ev.labels, ev.pred, ev.proba, 0, 2)
    )
    np.testing.assert_allclose(rows.confidence, [0.9, 0.7, 0.5])
    np.testing.assert_array_equal(rows.top_classes[2], [2, 0, 1])
    np.testing.assert_allclose(rows.top_proba[2], [0.5, 0.3, 0.2])
    assert (rows.true == 0).all() and (rows.pred == 2).all()
    empty = an.cell_rows(ev, 1, 0)
    assert len(empty) == 0 and empty.top_classes.shape == (0, 3)


def test_misclassified_rows_filter_and_sort_by_confidence():
    proba = [[0.1, 0.2, 0.7], [0.05, 0.05, 0.9], [0.8, 0.1, 0.1], [0.2, 0.6, 0.2]]
    ev = _ev_with(proba, [0, 0, 0, 2])
    np.testing.assert_array_equal(an.misclassified_rows(ev).index, [1, 0, 3])
    np.testing.assert_array_equal(
        an.misclassified_rows(ev, most_confident_first=False).index, [3, 0, 1]
    )
    np.testing.assert_array_equal(an.misclassified_rows(ev, true_cls=2).index, [3])
    np.testing.assert_array_equal(an.misclassified_rows(ev, pred_cls=2).index, [1, 0])
    assert len(an.misclassified_rows(ev, true_cls=1)) == 0


def test_sample_rows_page_and_page_bounds():
    ev = _ev_with([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [0, 0, 1])
    rows = an.sample_rows(ev, [2, 0, 1], top=2)
    part = rows.page(1, 3)
    np.testing.assert_array_equal(part.index, [0, 1])
    np.testing.assert_array_equal(part.top_classes, [[0, 1], [1, 0]])
    assert an.page_bounds(45, 2, 20) == (20, 40, 3)
    assert an.page_bounds(45, 3, 20) == (40, 45, 3)
    assert an.page_bounds(45, 9, 20) == (40, 45, 3)  # clamped to the last page
    assert an.page_bounds(0, 1, 20) == (0, 0, 1)
