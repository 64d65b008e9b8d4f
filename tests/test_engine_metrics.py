"""Evaluation helpers on small cases worked out by hand."""

import numpy as np
import pytest

from netlib import metrics as m
from netlib.config import ConfigError, NetConfig

Y = np.array([0, 0, 1, 1, 2, 2, 2])
P = np.array([0, 1, 1, 1, 2, 0, 2])


def test_confusion_matrix_counts_true_rows_predicted_columns():
    cm = m.confusion_matrix(Y, P, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 2]])


def test_per_class_report():
    r = m.per_class_report(m.confusion_matrix(Y, P, 4))
    np.testing.assert_allclose(r.precision, [0.5, 2 / 3, 1.0, 0.0])
    np.testing.assert_allclose(r.recall, [0.5, 1.0, 2 / 3, 0.0])
    np.testing.assert_allclose(r.f1[:3], [0.5, 0.8, 0.8])
    np.testing.assert_array_equal(r.support, [2, 2, 3, 0])
    assert r.f1[3] == 0.0  # a class with no samples is 0, not NaN


def test_top_k_and_accuracy():
    proba = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    idx, p = m.top_k(proba, 2)
    np.testing.assert_array_equal(idx, [[1, 2], [0, 2]])
    np.testing.assert_allclose(p, [[0.6, 0.3], [0.5, 0.3]])
    assert m.top_k_accuracy(np.array([2, 1]), proba, 2) == 0.5
    assert m.top_k_accuracy(np.array([2, 1]), proba, 3) == 1.0


def test_margins():
    logits = np.array([[1.0, 3.0, 0.0], [2.0, -1.0, 0.5]])
    np.testing.assert_allclose(m.margin(logits, 1, 0), [2.0, -3.0])
    np.testing.assert_allclose(m.true_class_margin(logits, np.array([1, 1])), [2.0, -3.0])


def test_cell_samples_and_misclassified_sorted_by_confidence():
    proba = np.full((7, 3), 0.1)
    proba[np.arange(7), P] = [0.8, 0.6, 0.9, 0.7, 0.5, 0.95, 0.6]
    np.testing.assert_array_equal(m.cell_samples(Y, P, proba, 1, 1), [2, 3])
    np.testing.assert_array_equal(m.cell_samples(Y, P, proba, 2, 0), [5])
    np.testing.assert_array_equal(m.misclassified(Y, P, proba), [5, 1])
    np.testing.assert_array_equal(m.misclassified(Y, P, proba, most_confident_first=False), [1, 5])
    np.testing.assert_array_equal(m.misclassified(Y, P, proba, true_cls=0), [1])
    assert len(m.misclassified(Y, P, proba, pred_cls=2)) == 0


def test_fixed_and_introduced():
    y = np.array([4, 4, 4, 9, 9, 1])
    a = np.array([9, 9, 4, 9, 4, 1])  # A: two 4->9 errors, one 9->4
    b = np.array([4, 9, 9, 4, 9, 1])  # B: fixes one 4->9 and the 9->4, breaks a 4 and a 9
    fixed, intro = m.fixed_and_introduced(y, a, b, 10)
    assert fixed[4, 9] == 1 and fixed[9, 4] == 1 and fixed.sum() == 2
    assert intro[4, 9] == 1 and intro[9, 4] == 1 and intro.sum() == 2


def test_config_round_trips_through_json():
    cfg = NetConfig(hidden=(128, 64), optimizer="adam", lr=1e-3, nesterov=True)
    assert NetConfig.from_json(cfg.to_json()) == cfg
    assert cfg.architecture == "128-64"
    assert NetConfig(hidden=()).architecture == "none"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"hidden": (0,)}, "hidden"),
        ({"hidden": (100_000,)}, "hidden"),
        ({"lr": 0.0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"epochs": 0}, "epochs"),
        ({"dropout": 1.0}, "dropout"),
        ({"batch_size": -1}, "batch_size"),
        ({"activation": "swish"}, "activation"),
        ({"val_fraction": 0.95}, "val_fraction"),
    ],
)
def test_absurd_values_are_refused_with_the_field_named(changes, words):
    with pytest.raises(ConfigError, match=words):
        NetConfig(**changes)


@pytest.mark.parametrize(
    "data",
    [[], {"lr": "fast"}, {"hidden": "128"}, {"nesterov": 1}, {"epochs": 2.5}, {"secret": 1}],
)
def test_untrusted_config_data_is_refused(data):
    with pytest.raises(ConfigError):
        NetConfig.from_dict(data)
