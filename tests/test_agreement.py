"""Agreement across runs (issue 20) on constructed runs whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.agreement import (
    agreement_matrix,
    hardest_first,
    only_group_right,
    right_grid,
    wrong_everywhere,
)

LABELS = np.array([0, 1, 2, 3, 4])
# Three runs: two MLPs and a CNN. Sample 4 is wrong everywhere; sample 3 only the CNN gets
# right; sample 2 only the MLPs; samples 0 and 1 all get right except the second MLP on 1.
PREDICTIONS = np.array(
    [
        [0, 1, 2, 0, 9],  # mlp a
        [0, 7, 2, 0, 9],  # mlp b
        [0, 1, 5, 3, 8],  # cnn
    ]
)


def test_the_grid_and_the_samples_every_run_gets_wrong():
    right = right_grid(PREDICTIONS, LABELS)
    assert right.sum(axis=1).tolist() == [3, 2, 3]
    assert wrong_everywhere(right).tolist() == [4]


def test_hardest_first_leads_with_the_samples_every_run_misses():
    right = right_grid(PREDICTIONS, LABELS)
    # sample 4: 0 right; sample 3: 1 right; samples 1 and 2: 2 right; sample 0 (3) left out.
    assert hardest_first(right).tolist() == [4, 3, 1, 2]
    assert hardest_first(right, limit=2).tolist() == [4, 3]


def test_samples_only_one_architecture_gets_right():
    right = right_grid(PREDICTIONS, LABELS)
    only = only_group_right(right, ["mlp", "mlp", "cnn"])
    assert only["cnn"].tolist() == [3]
    assert only["mlp"].tolist() == [2]
    with pytest.raises(ValueError, match="2 group names for 3 runs"):
        only_group_right(right, ["mlp", "cnn"])


def test_the_agreement_matrix_counts_the_same_predicted_class():
    m = agreement_matrix(PREDICTIONS)
    assert m[0, 1] == pytest.approx(4 / 5)  # all but sample 1
    assert m[0, 2] == pytest.approx(2 / 5)  # samples 0 and 1
    assert np.allclose(np.diag(m), 1) and np.allclose(m, m.T)


def test_runs_on_another_test_set_are_refused():
    with pytest.raises(ValueError, match="do not match 4 labels"):
        right_grid(PREDICTIONS, LABELS[:4])
