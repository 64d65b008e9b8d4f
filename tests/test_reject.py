"""The reject option (issue 21): the curve's end points and a constructed case."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.reject import at_threshold, reject_curve

# Four samples: confidences 0.9 (right), 0.8 (wrong), 0.6 (right), 0.6 (wrong).
PROBA = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.4, 0.6]])
LABELS = np.array([0, 0, 0, 0])  # predicted 0, 1, 0, 1: samples 0 and 2 right


def test_the_curve_runs_from_the_plain_accuracy_at_full_coverage_to_the_surest_sample():
    c = reject_curve(PROBA, LABELS)
    assert c.coverage[0] == 1.0 and c.accuracy[0] == pytest.approx(0.5)  # 2 of 4 right
    assert c.coverage[-1] == pytest.approx(0.25) and c.accuracy[-1] == 1.0  # only the 0.9
    np.testing.assert_allclose(c.thresholds, [0.6, 0.8, 0.9])
    np.testing.assert_allclose(c.coverage, [1.0, 0.5, 0.25])
    np.testing.assert_allclose(c.accuracy, [0.5, 0.5, 1.0])


def test_equal_confidences_are_answered_or_rejected_together():
    c = reject_curve(np.full((3, 2), 0.5), np.array([0, 1, 0]))
    assert c.coverage.tolist() == [1.0] and c.thresholds.tolist() == [0.5]


def test_per_class_accuracy_and_rejection_at_one_threshold():
    out = at_threshold(PROBA, np.array([0, 0, 0, 1]), 0.7, classes=2)
    # Class 0: samples 0 (0.9, right), 1 (0.8, wrong), 2 (0.6, rejected); class 1: 3 rejected.
    assert out["accuracy"][0] == pytest.approx(0.5) and np.isnan(out["accuracy"][1])
    np.testing.assert_allclose(out["rejected"], [1 / 3, 1.0])
    assert out["rejected_index"].tolist() == [2, 3]


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="3 predictions for 4 labels"):
        reject_curve(PROBA[:3], LABELS)
