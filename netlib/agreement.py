"""Agreement across runs (issue 20): which test samples every run gets wrong (often ambiguous
or mislabeled), which only one architecture gets right, and how often two runs agree.

Input: the final (or any epoch's) predicted classes of several runs on the same test set, as a
(runs, n) integer array, and the true labels. Pure NumPy.
"""

from __future__ import annotations

import numpy as np

from netlib.histories import rightness


def right_grid(predictions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(runs, n) bool: each run right on each sample."""
    return rightness(predictions, labels, row="run")


def hardest_first(right: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Sample indices ordered by how many runs get them right (fewest first: the samples every
    run gets wrong lead), ties by index. Samples every run gets right are left out."""
    count = right.sum(axis=0)
    keep = np.flatnonzero(count < right.shape[0])
    order = keep[np.lexsort((keep, count[keep]))]
    return order if limit is None else order[:limit]


def wrong_everywhere(right: np.ndarray) -> np.ndarray:
    return np.flatnonzero(~right.any(axis=0))


def only_group_right(right: np.ndarray, groups: list[str]) -> dict[str, np.ndarray]:
    """For each group of runs (e.g. by architecture): the samples every run of that group gets
    right and every run outside it gets wrong."""
    if len(groups) != right.shape[0]:
        raise ValueError(f"{len(groups)} group names for {right.shape[0]} runs")
    names = np.asarray(groups)
    out = {}
    for name in dict.fromkeys(groups):
        inside = names == name
        if inside.all():
            continue  # one group holding every run: nothing is "only" its own
        all_in = right[inside].all(axis=0)
        none_out = ~right[~inside].any(axis=0)
        out[name] = np.flatnonzero(all_in & none_out)
    return out


def agreement_matrix(predictions: np.ndarray) -> np.ndarray:
    """(runs, runs): the share of test samples on which two runs predict the same class."""
    p = np.asarray(predictions)
    return (p[:, None, :] == p[None, :, :]).mean(axis=2)
