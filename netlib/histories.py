"""Sample histories (issue 20): how each test sample's prediction moved over training.

From the predicted class of every test sample after every epoch (an (epochs, n) uint8 array,
10,000 bytes an epoch for MNIST's test set) and the true labels:
- the epoch each sample first became right, the epoch from which it stayed right (learned),
  every epoch its rightness flipped, and whether it ends right;
- "learned early → learned late → never learned" by the epoch a sample was learned;
- the samples that keep flipping (the network's unstable boundary);
- for a pair of classes (4, 9), the timeline of what each of their samples was taken for.
Pure NumPy on small integer arrays: one pass over epochs x samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEVER = 0  # the epoch value of "not once" / "not learned" (epochs count from 1)


@dataclass(frozen=True)
class SampleHistory:
    first_right: np.ndarray  # (n,) epoch first right, NEVER if not once
    learned: np.ndarray  # (n,) epoch from which it stayed right to the end, NEVER if it ends wrong
    flips: np.ndarray  # (n,) how many times right/wrong changed between consecutive epochs
    ends_right: np.ndarray  # (n,) bool
    epochs: int

    def flip_epochs(self, right: np.ndarray, sample: int) -> list[int]:
        """The epochs at which one sample's rightness changed (from `right`, see rightness)."""
        column = right[:, sample]
        return [int(e) + 2 for e in np.flatnonzero(column[1:] != column[:-1])]

    def stage(self, early_until: int | None = None) -> np.ndarray:
        """(n,) 0 = learned early, 1 = learned late, 2 = never learned. Early means learned by
        `early_until` (default: the first third of the epochs, at least epoch 1)."""
        cut = max(1, self.epochs // 3) if early_until is None else int(early_until)
        stage = np.full(len(self.learned), 2, np.int8)
        stage[(self.learned != NEVER) & (self.learned <= cut)] = 0
        stage[(self.learned != NEVER) & (self.learned > cut)] = 1
        return stage

    def unstable(self, limit: int = 50) -> np.ndarray:
        """Indices of the samples that flipped most (at least twice), most flips first."""
        keep = np.flatnonzero(self.flips >= 2)
        order = np.lexsort((keep, -self.flips[keep]))
        return keep[order][:limit]


def rightness(predictions: np.ndarray, labels: np.ndarray, row: str = "epoch") -> np.ndarray:
    """(rows, n) bool: was each sample right in each row (after each epoch, or in each run)."""
    predictions = np.asarray(predictions)
    labels = np.asarray(labels)
    if predictions.ndim != 2 or predictions.shape[1] != len(labels):
        raise ValueError(
            f"predictions {predictions.shape} do not match {len(labels)} labels: "
            f"one row of predicted classes per {row}"
        )
    return predictions == labels[None, :]


def sample_history(predictions: np.ndarray, labels: np.ndarray) -> SampleHistory:
    right = rightness(predictions, labels)
    epochs, n = right.shape
    if epochs == 0:
        zeros = np.zeros(n, np.int32)
        return SampleHistory(zeros, zeros.copy(), zeros.copy(), np.zeros(n, bool), 0)
    ever = right.any(axis=0)
    first = np.where(ever, right.argmax(axis=0) + 1, NEVER).astype(np.int32)
    ends = right[-1]
    # Learned: one after the last wrong epoch, for the samples that end right.
    wrong_from_end = (~right)[::-1]
    last_wrong = np.where(wrong_from_end.any(axis=0), epochs - wrong_from_end.argmax(axis=0), 0)
    learned = np.where(ends, last_wrong + 1, NEVER).astype(np.int32)
    flips = (right[1:] != right[:-1]).sum(axis=0).astype(np.int32)
    return SampleHistory(first, learned, flips, ends, epochs)


def pair_timeline(
    predictions: np.ndarray, labels: np.ndarray, a: int, b: int, limit: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """(samples, the timeline): the true-a and true-b samples that were ever taken for the other
    one (most such epochs first), and (len(samples), epochs) int8 codes per epoch: 0 = right,
    1 = taken for the other class of the pair, 2 = taken for a third class."""
    predictions = np.asarray(predictions)
    labels = np.asarray(labels)
    rightness(predictions, labels)  # shape check
    in_pair = np.flatnonzero((labels == a) | (labels == b))
    other = np.where(labels[in_pair] == a, b, a)
    swapped = predictions[:, in_pair] == other[None, :]
    count = swapped.sum(axis=0)
    keep = np.flatnonzero(count > 0)
    keep = keep[np.lexsort((in_pair[keep], -count[keep]))][:limit]
    samples = in_pair[keep]
    pred = predictions[:, samples]
    codes = np.full(pred.shape, 2, np.int8)
    codes[pred == labels[samples][None, :]] = 0
    codes[pred == other[keep][None, :]] = 1
    return samples, codes.T
