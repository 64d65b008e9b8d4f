"""Evaluation of a trained network: what the Inspect and insight pages show, computed here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlib.losses import LOSSES
from netlib.nets import Network


def probabilities(net: Network, x: np.ndarray, loss: str = "cross_entropy") -> np.ndarray:
    return LOSSES[loss].proba(net.logits(x))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """counts[t, p] = how many samples of true class t were predicted as p."""
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k).astype(np.int64)


@dataclass(frozen=True)
class ClassReport:
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray


def per_class_report(cm: np.ndarray) -> ClassReport:
    """Precision, recall and F1 per class from a confusion matrix; 0 where undefined."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return ClassReport(precision, recall, f1, support.astype(np.int64))


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float((y_true == y_pred).mean()) if len(y_true) else 0.0


def top_k(proba: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The k most likely classes per sample (most likely first) and their probabilities."""
    k = min(k, proba.shape[1])
    idx = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(proba, idx, axis=1)


def top_k_accuracy(y_true: np.ndarray, proba: np.ndarray, k: int) -> float:
    idx, _ = top_k(proba, k)
    return float((idx == y_true[:, None]).any(axis=1).mean())


def margin(logits: np.ndarray, a: int, b: int) -> np.ndarray:
    """logit_a - logit_b per sample: > 0 means the network leans to a over b."""
    return logits[:, a] - logits[:, b]


def true_class_margin(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Logit of the true class minus the best other logit: negative exactly when wrong."""
    n = len(y)
    true = logits[np.arange(n), y]
    others = logits.copy()
    others[np.arange(n), y] = -np.inf
    return true - others.max(axis=1)


def margin_seed(logits: np.ndarray, a: int, b: int | None = None) -> np.ndarray:
    """The logits' gradient that backward turns into d(logit_a - logit_b)/d(anything) (or
    d(logit_a) when b is None): +1 on column a, -1 on column b."""
    seed = np.zeros_like(logits)
    seed[:, a] = 1
    if b is not None:
        seed[:, b] -= 1
    return seed


def saliency(net: Network, x: np.ndarray, a: int, b: int | None = None) -> np.ndarray:
    """d(logit_a - logit_b)/d(input) per sample (or d(logit_a)/d(input) when b is None)."""
    logits, cache = net.forward(x)
    _, dx = net.backward(cache, margin_seed(logits, a, b), input_grad=True)
    return dx


def cell_samples(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray, true_cls: int, pred_cls: int
) -> np.ndarray:
    """Indices of the samples in one confusion cell, most confident prediction first."""
    idx = np.flatnonzero((y_true == true_cls) & (y_pred == pred_cls))
    conf = proba[idx, pred_cls]
    return idx[np.argsort(-conf, kind="stable")]


def misclassified(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray,
    true_cls: int | None = None,
    pred_cls: int | None = None,
    most_confident_first: bool = True,
) -> np.ndarray:
    """Indices of wrong predictions, optionally filtered by true/predicted class, by confidence."""
    keep = y_true != y_pred
    if true_cls is not None:
        keep &= y_true == true_cls
    if pred_cls is not None:
        keep &= y_pred == pred_cls
    idx = np.flatnonzero(keep)
    conf = proba[idx, y_pred[idx]]
    order = np.argsort(-conf if most_confident_first else conf, kind="stable")
    return idx[order]


def fixed_and_introduced(
    y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Run-vs-run: per (true, predicted-by-the-wrong-run) cell, mistakes B fixed and B introduced.

    fixed[t, p]: A predicted p (wrong), B is right. introduced[t, p]: A right, B predicted p.
    """
    fixed_mask = (pred_a != y_true) & (pred_b == y_true)
    intro_mask = (pred_a == y_true) & (pred_b != y_true)
    fixed = confusion_matrix(y_true[fixed_mask], pred_a[fixed_mask], k)
    introduced = confusion_matrix(y_true[intro_mask], pred_b[intro_mask], k)
    return fixed, introduced
