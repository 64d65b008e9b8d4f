"""Sample histories (issue 20) on a constructed sequence of predictions whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.histories import NEVER, pair_timeline, rightness, sample_history

LABELS = np.array([4, 9, 4, 9, 1])
# Epochs down, samples across. Sample 0: right from epoch 1. Sample 1: wrong (4), right at 2,
# wrong (4) at 3, right from 4. Sample 2: always taken for 9. Sample 3: right at 1, then 7
# (a third class) to the end. Sample 4: right from epoch 3.
PREDICTIONS = np.array(
    [
        [4, 4, 9, 9, 7],
        [4, 9, 9, 7, 7],
        [4, 4, 9, 7, 1],
        [4, 9, 9, 7, 1],
        [4, 9, 9, 7, 1],
        [4, 9, 9, 7, 1],
    ],
    dtype=np.uint8,
)


def test_first_right_learned_flips_and_the_end_of_each_sample():
    h = sample_history(PREDICTIONS, LABELS)
    assert h.first_right.tolist() == [1, 2, NEVER, 1, 3]
    assert h.learned.tolist() == [1, 4, NEVER, NEVER, 3]
    assert h.flips.tolist() == [0, 3, 0, 1, 1]
    assert h.ends_right.tolist() == [True, True, False, False, True]
    assert h.flip_epochs(rightness(PREDICTIONS, LABELS), 1) == [2, 3, 4]


def test_stages_split_learned_early_late_and_never():
    h = sample_history(PREDICTIONS, LABELS)  # 6 epochs: early = learned by epoch 2
    assert h.stage().tolist() == [0, 1, 2, 2, 1]
    assert h.stage(early_until=4).tolist() == [0, 0, 2, 2, 0]


def test_the_unstable_samples_are_those_that_flip_most():
    h = sample_history(PREDICTIONS, LABELS)
    assert h.unstable().tolist() == [1]  # only sample 1 flipped twice or more


def test_the_pair_timeline_codes_right_swapped_and_third_class():
    samples, codes = pair_timeline(PREDICTIONS, LABELS, 4, 9)
    # Sample 2 (a 4) was a 9 in all 6 epochs; sample 1 (a 9) was a 4 in 2; sample 3 never a 4.
    assert samples.tolist() == [2, 1]
    assert codes[0].tolist() == [1] * 6
    assert codes[1].tolist() == [1, 0, 1, 0, 0, 0]
    _, all_codes = pair_timeline(PREDICTIONS[:, [3]], LABELS[[3]], 9, 4)
    assert all_codes.shape == (0, 6)  # never taken for a 4: not in the timeline


def test_a_sample_taken_for_a_third_class_is_coded_apart():
    preds = np.array([[7], [4], [9]], np.uint8)
    samples, codes = pair_timeline(preds, np.array([9]), 4, 9)
    assert samples.tolist() == [0] and codes[0].tolist() == [2, 1, 0]


def test_predictions_that_do_not_match_the_labels_are_refused():
    with pytest.raises(ValueError, match="do not match 4 labels"):
        sample_history(PREDICTIONS, LABELS[:4])


def test_no_epoch_yet_gives_an_empty_history():
    h = sample_history(np.zeros((0, 5), np.uint8), LABELS)
    assert h.epochs == 0 and h.first_right.tolist() == [NEVER] * 5
