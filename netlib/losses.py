"""Output losses by name. Each maps logits to (loss, dlogits) so the network never special-cases.

The three losses are the ones the 8x8-digits project compared:
- cross_entropy: softmax + categorical cross-entropy (the usual choice),
- mse: mean squared error between softmax probabilities and one-hot targets,
- log_loss: per-class binary log-loss on sigmoid outputs.
Losses are means over the batch (sum over classes), so learning rates do not depend on batch size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from netlib.activations import sigmoid


def softmax(logits: np.ndarray) -> np.ndarray:
    # Shift by the row max: exp() never overflows and the result is unchanged.
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def one_hot(y: np.ndarray, k: int, dtype=np.float64) -> np.ndarray:
    out = np.zeros((len(y), k), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


def _cross_entropy(logits, y):
    # Fused softmax + cross-entropy: one exp pass serves both the loss (log-sum-exp) and the
    # gradient (softmax - one_hot) / n, built in place in a single new buffer.
    # The buffer is the transposed (classes, batch) copy: each per-sample reduction (max, sum)
    # then runs as a few vectorised row operations instead of one tiny 10-element reduction
    # per sample, several times faster for training batches. The gradient is returned as the
    # (batch, classes) view of it; BLAS reads that layout without a copy.
    n = len(y)
    cols = np.arange(n)
    g = np.array(logits.T, order="C")
    g -= g.max(axis=0)  # shift each sample by its max logit: exp() never overflows
    picked = g[y, cols]  # shifted logit of the true class
    np.exp(g, out=g)
    total = g.sum(axis=0)
    loss = (np.log(total).sum() - picked.sum()) / n
    g /= total * n  # softmax / n: one pass for both scalings
    g[y, cols] -= g.dtype.type(1.0 / n)  # minus one_hot / n, in the logits' dtype
    return float(loss), g.T


def _mse(logits, y):
    n, k = logits.shape
    p = softmax(logits)
    diff = p - one_hot(y, k, logits.dtype)
    loss = (diff * diff).sum(axis=1).mean()
    # Chain through the softmax Jacobian: dL/dz = p * (g - <g, p>) with g = 2 (p - t) / n.
    g = 2.0 * diff / n
    grad = p * (g - (g * p).sum(axis=1, keepdims=True))
    return float(loss), grad


def _log_loss(logits, y):
    n, k = logits.shape
    t = one_hot(y, k, logits.dtype)
    # log(sigmoid(z)) = -softplus(-z), computed without overflow or log(0).
    log_p = -np.logaddexp(0, -logits)
    log_1mp = -np.logaddexp(0, logits)
    loss = -(t * log_p + (1 - t) * log_1mp).sum(axis=1).mean()
    grad = (sigmoid(logits) - t) / n
    return float(loss), grad


def _proba_softmax(logits):
    return softmax(logits)


def _proba_sigmoid(logits):
    # Per-class sigmoids renormalised so the dashboard can show one distribution for every loss.
    s = sigmoid(logits)
    return s / np.maximum(s.sum(axis=1, keepdims=True), np.finfo(s.dtype).tiny)


@dataclass(frozen=True)
class Loss:
    name: str
    label: str
    value_and_grad: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]
    proba: Callable[[np.ndarray], np.ndarray]


LOSSES: dict[str, Loss] = {
    "cross_entropy": Loss("cross_entropy", "softmax cross-entropy", _cross_entropy, _proba_softmax),
    "mse": Loss("mse", "mean squared error (softmax vs one-hot)", _mse, _proba_softmax),
    "log_loss": Loss("log_loss", "binary log-loss (sigmoid vs one-hot)", _log_loss, _proba_sigmoid),
}
