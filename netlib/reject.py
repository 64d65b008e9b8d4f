"""A reject option (issue 21): below a confidence threshold the network says "I don't know".

From the predicted probabilities and the true labels: for every threshold, the share of
samples it still answers (coverage) and its accuracy on those (the risk-coverage curve, as
in Geifman & El-Yaniv 2017), and per class the accuracy and the share rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RejectCurve:
    thresholds: np.ndarray  # ascending confidences; a sample is answered when its conf >= t
    coverage: np.ndarray  # share of samples answered at each threshold
    accuracy: np.ndarray  # accuracy on the answered ones (nan where none is answered)


def reject_curve(proba: np.ndarray, labels: np.ndarray) -> RejectCurve:
    """One point per distinct confidence, from answering every sample (coverage 1, the plain
    accuracy) to answering only the most confident ones."""
    proba, labels = np.asarray(proba), np.asarray(labels)
    if len(proba) != len(labels) or not len(labels):
        raise ValueError(f"{len(proba)} predictions for {len(labels)} labels")
    conf = proba.max(axis=1)
    right = proba.argmax(axis=1) == labels
    order = np.argsort(-conf, kind="stable")  # most confident first
    conf_sorted, right_sorted = conf[order], right[order]
    hits = np.cumsum(right_sorted)
    answered = np.arange(1, len(labels) + 1)
    # Keep the last index of each run of equal confidences: a threshold answers all of them.
    last = np.r_[np.flatnonzero(conf_sorted[1:] != conf_sorted[:-1]), len(labels) - 1]
    thresholds = conf_sorted[last][::-1]
    coverage = (answered[last] / len(labels))[::-1]
    accuracy = (hits[last] / answered[last])[::-1]
    return RejectCurve(thresholds, coverage, accuracy)


def at_threshold(proba, labels, threshold: float, classes: int) -> dict[str, np.ndarray]:
    """Per true class at one threshold: accuracy on the answered samples (nan if none) and the
    share rejected; plus the indices of the rejected samples."""
    proba, labels = np.asarray(proba), np.asarray(labels)
    conf = proba.max(axis=1)
    answered = conf >= threshold
    right = (proba.argmax(axis=1) == labels) & answered
    total = np.bincount(labels, minlength=classes)[:classes]
    kept = np.bincount(labels[answered], minlength=classes)[:classes]
    hits = np.bincount(labels[right], minlength=classes)[:classes]
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy = np.where(kept > 0, hits / np.maximum(kept, 1), np.nan)
        rejected = np.where(total > 0, 1 - kept / np.maximum(total, 1), np.nan)
    return {"accuracy": accuracy, "rejected": rejected, "rejected_index": np.flatnonzero(~answered)}
