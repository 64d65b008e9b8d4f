"""Sample lists (issue 20): confidently wrong, most ambiguous, nearest training examples."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import sample_lists as sl

PROBA = np.array(
    [
        [0.9, 0.1, 0.0],  # true 0, right
        [0.2, 0.8, 0.0],  # true 0, wrong at 0.8
        [0.45, 0.55, 0.0],  # true 0, wrong at 0.55, near tie
        [0.0, 0.3, 0.7],  # true 1, wrong at 0.7
        [0.34, 0.33, 0.33],  # true 2, wrong, the closest top two
    ]
)
LABELS = np.array([0, 0, 0, 1, 2])


def test_confidently_wrong_leads_with_the_surest_mistake():
    assert sl.confidently_wrong(PROBA, LABELS).tolist() == [1, 3, 2, 4]
    assert sl.confidently_wrong(PROBA, LABELS, true_cls=0).tolist() == [1, 2]
    assert sl.confidently_wrong(PROBA, LABELS, limit=1).tolist() == [1]


def test_most_ambiguous_leads_with_the_closest_top_two():
    assert sl.most_ambiguous(PROBA, LABELS).tolist()[:2] == [4, 2]
    assert sl.most_ambiguous(PROBA, LABELS, true_cls=0).tolist() == [2, 1, 0]


def test_nearest_training_examples_of_one_class_in_blocks(monkeypatch):
    monkeypatch.setattr(sl, "CHUNK", 2)  # several blocks, same answer
    feats = np.array([[0, 0], [3, 0], [1, 0], [0, 2], [0.5, 0]], float)
    labels = np.array([9, 9, 4, 9, 9])
    idx, dist = sl.nearest_examples(feats, labels, [0.6, 0], cls=9, k=3)
    assert idx.tolist() == [4, 0, 3]
    np.testing.assert_allclose(dist, [0.1, 0.6, np.hypot(0.6, 2)])
    with pytest.raises(ValueError, match="a query of 3 values"):
        sl.nearest_examples(feats, labels, [0, 0, 0])
