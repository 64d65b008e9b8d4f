"""Which samples to look at (issue 20): the most confidently wrong, the most ambiguous (top two
probabilities closest), and the training examples a test sample looks most like to the network
(nearest in a chosen layer's space: "this 4 looks like these 9s")."""

from __future__ import annotations

import numpy as np

CHUNK = 4096  # training rows per distance block: memory stays CHUNK x dimensions


def confidently_wrong(
    proba: np.ndarray, labels: np.ndarray, true_cls: int | None = None, limit: int = 50
) -> np.ndarray:
    """Wrong samples (optionally of one true class), the surest wrong answer first."""
    pred = proba.argmax(axis=1)
    keep = pred != labels
    if true_cls is not None:
        keep &= labels == true_cls
    idx = np.flatnonzero(keep)
    conf = proba[idx, pred[idx]]
    return idx[np.lexsort((idx, -conf))][:limit]


def most_ambiguous(
    proba: np.ndarray, labels: np.ndarray, true_cls: int | None = None, limit: int = 50
) -> np.ndarray:
    """Samples (optionally of one true class) whose top two probabilities are closest first."""
    idx = np.arange(len(proba)) if true_cls is None else np.flatnonzero(labels == true_cls)
    top2 = np.sort(proba[idx], axis=1)[:, -2:]
    gap = top2[:, 1] - top2[:, 0]
    return idx[np.lexsort((idx, gap))][:limit]


def nearest_examples(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    query: np.ndarray,
    cls: int | None = None,
    k: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances) of the k training samples (of class cls, or any) nearest to query
    in the given feature space, nearest first. Distances in blocks: no (n, n) matrix."""
    feats = np.asarray(train_features).reshape(len(train_features), -1)
    q = np.asarray(query, np.float64).reshape(-1)
    if feats.shape[1] != q.size:
        raise ValueError(f"a query of {q.size} values against features of {feats.shape[1]}")
    pool = np.arange(len(feats)) if cls is None else np.flatnonzero(train_labels == cls)
    dist = np.empty(len(pool))
    for i in range(0, len(pool), CHUNK):
        block = feats[pool[i : i + CHUNK]].astype(np.float64)
        dist[i : i + CHUNK] = np.sqrt(((block - q) ** 2).sum(axis=1))
    order = np.lexsort((pool, dist))[:k]
    return pool[order], dist[order]
