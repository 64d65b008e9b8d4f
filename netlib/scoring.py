"""Score a network once on a split and turn sample indices into rows a person can read.

Per-class metrics, the samples behind a confusion cell and the misclassified samples come
from netlib.metrics; this module evaluates a network once on a split and turns indices into
rows (index, true, predicted, confidence, top-k) that a page shows as tiles and a table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from netlib import metrics, nets
from netlib.losses import LOSSES
from netlib.nets import Network
from netlib.training_data import scale_images

ANSWER_FILTERS = ("all", "right", "wrong")


@dataclass(frozen=True)
class Evaluation:
    """A network's outputs on every image of one split (row i = image i)."""

    labels: np.ndarray  # (N,) true classes
    logits: np.ndarray  # (N, K)
    proba: np.ndarray  # (N, K) the loss's own probabilities (softmax, or sigmoid for log_loss)
    pred: np.ndarray  # (N,) argmax of the logits, as the trainer scores it

    @property
    def num_classes(self) -> int:
        return self.logits.shape[1]

    @property
    def correct(self) -> np.ndarray:
        return self.pred == self.labels

    @property
    def confidence(self) -> np.ndarray:
        """Probability of the predicted class, per sample."""
        return self.proba[np.arange(len(self.pred)), self.pred]

    @property
    def accuracy(self) -> float:
        return metrics.accuracy(self.labels, self.pred)

    def confusion(self) -> np.ndarray:
        return metrics.confusion_matrix(self.labels, self.pred, self.num_classes)


def evaluate(
    net: Network,
    images: np.ndarray,
    labels: np.ndarray,
    max_value: int,
    loss: str = "cross_entropy",
) -> Evaluation:
    """Run the network on uint8 (N, H, W) images scaled exactly as training scaled them."""
    n_pixels = int(np.prod(images.shape[1:]))
    inputs, classes = nets.inputs_of(net), nets.classes_of(net)
    wanted = getattr(net, "input_shape", None)  # a layer stack sees the image's shape too
    if inputs != n_pixels or (wanted is not None and tuple(wanted[1:]) != images.shape[1:]):
        shape = "×".join(str(s) for s in images.shape[1:])
        raise ValueError(
            f"the network takes {inputs} inputs but these images are {shape} "
            f"({n_pixels} pixels): it was trained on other data"
        )
    y = np.asarray(labels, dtype=np.int64)
    if len(y) and y.max() >= classes:
        raise ValueError(f"labels go up to {y.max()} but the network has only {classes} outputs")
    logits = net.logits(scale_images(images, max_value, net.dtype.name))
    return Evaluation(y, logits, LOSSES[loss].proba(logits), logits.argmax(axis=1))


# -- looking at a data set before training --------------------------------------------------
def class_counts(labels: np.ndarray, k: int) -> np.ndarray:
    """How many samples of each of the k classes."""
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=k)[:k]


def mean_images(images: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """(k, H, W) average image of each class in pixel units; NaN for a class with no samples."""
    out = np.full((k, *images.shape[1:]), np.nan)
    for c in range(k):
        members = images[labels == c]  # one class at a time: never a float copy of all images
        if len(members):
            out[c] = members.mean(axis=0, dtype=np.float64)
    return out


def class_samples(labels: np.ndarray, k: int, per_class: int, seed: int) -> np.ndarray:
    """(k, m) indices: up to per_class random samples of each class (row c = class c).

    m = per_class, or fewer when no class has that many; short rows are padded with -1.
    """
    rng = np.random.default_rng(seed)
    rows = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in range(k)]
    m = max((len(r) for r in rows), default=0)
    out = np.full((k, m), -1, dtype=np.int64)
    for c, r in enumerate(rows):
        out[c, : len(r)] = r
    return out


def random_indices(n: int, size: int, seed: int) -> np.ndarray:
    """`size` distinct indices below n (all of them if n is smaller), seeded."""
    return np.random.default_rng(seed).permutation(n)[: max(0, size)]


def prediction_sample(
    correct: np.ndarray, size: int, seed: int, answers: str = "all"
) -> np.ndarray:
    """Random indices for the predictions grid: any sample, only right ones or only wrong ones."""
    if answers not in ANSWER_FILTERS:
        raise ValueError(f"answers must be one of {ANSWER_FILTERS}, got {answers!r}")
    pool = np.arange(len(correct))
    if answers != "all":
        pool = pool[correct == (answers == "right")]
    return pool[random_indices(len(pool), size, seed)]


# -- rows of samples: a confusion cell, the misclassified gallery -----------------------------
@dataclass(frozen=True)
class SampleRows:
    """Samples to show, in display order, with what the network said about each."""

    index: np.ndarray  # (n,) positions in the split
    true: np.ndarray
    pred: np.ndarray
    confidence: np.ndarray  # probability of the predicted class
    top_classes: np.ndarray  # (n, k) most likely classes, most likely first
    top_proba: np.ndarray  # (n, k)

    def __len__(self) -> int:
        return len(self.index)

    def page(self, start: int, stop: int) -> SampleRows:
        return SampleRows(*(getattr(self, f.name)[start:stop] for f in fields(self)))


def sample_rows(evaluation: Evaluation, index: np.ndarray, top: int = 3) -> SampleRows:
    index = np.asarray(index, dtype=np.int64)
    classes, proba = metrics.top_k(evaluation.proba[index], top)
    return SampleRows(
        index,
        evaluation.labels[index],
        evaluation.pred[index],
        evaluation.confidence[index],
        classes,
        proba,
    )


def cell_rows(evaluation: Evaluation, true_cls: int, pred_cls: int, top: int = 3) -> SampleRows:
    """The samples of one confusion cell, most confident first."""
    index = metrics.cell_samples(
        evaluation.labels, evaluation.pred, evaluation.proba, true_cls, pred_cls
    )
    return sample_rows(evaluation, index, top)


def misclassified_rows(
    evaluation: Evaluation,
    true_cls: int | None = None,
    pred_cls: int | None = None,
    most_confident_first: bool = True,
    top: int = 3,
) -> SampleRows:
    """Every wrong prediction (optionally of one true and/or predicted class), by confidence."""
    index = metrics.misclassified(
        evaluation.labels,
        evaluation.pred,
        evaluation.proba,
        true_cls,
        pred_cls,
        most_confident_first,
    )
    return sample_rows(evaluation, index, top)


def page_bounds(n: int, page: int, per_page: int) -> tuple[int, int, int]:
    """(start, stop, pages) of 1-based `page` of n items; out-of-range pages are clamped."""
    per_page = max(1, per_page)
    pages = max(1, -(-n // per_page))
    page = min(max(1, page), pages)
    start = (page - 1) * per_page
    return start, min(n, start + per_page), pages
