"""Attributions beyond plain saliency, for one input and one logit difference (issue 20).

Each answers "which pixels push this sample towards class a rather than b" differently:
- integrated gradients: the gradient averaged along the straight path from a baseline (a
  black image or the mean digit) to the input, times the input's difference from it. Its
  attributions add up to margin(x) − margin(baseline) (completeness), which is checked;
- SmoothGrad: the plain gradient averaged over noisy copies of the input (less speckle);
- occlusion: the margin's drop when a square patch of the image is greyed out, nothing but
  forward passes (no gradient at all, so it also catches what gradients miss).
All work for any network of netlib.nets (MLP or layer stack): they only call forward and
metrics.saliency, in batches whose memory is bounded by the caller's network size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlib import metrics
from netlib.nets import Network

COMPLETENESS_TOLERANCE = 0.01  # |sum(attr) - (margin(x) - margin(baseline))| / |that difference|
MAX_STEPS = 4096  # integrated gradients' path steps at most (doubling from `steps`)
CHUNK = 256  # inputs per forward/backward pass


@dataclass(frozen=True)
class IntegratedGradients:
    attributions: np.ndarray  # (n_inputs,), float64
    margin_input: float  # margin at the input
    margin_baseline: float  # margin at the baseline
    steps: int  # path steps used (doubled until complete or MAX_STEPS)

    @property
    def target(self) -> float:
        """What the attributions must add up to."""
        return self.margin_input - self.margin_baseline

    @property
    def gap(self) -> float:
        """Completeness error relative to the target (0 = exact)."""
        scale = max(abs(self.target), 1e-12)
        return abs(float(self.attributions.sum()) - self.target) / scale

    @property
    def complete(self) -> bool:
        return self.gap <= COMPLETENESS_TOLERANCE


def margins(net: Network, x: np.ndarray, a: int, b: int | None) -> np.ndarray:
    """logit_a − logit_b (or logit_a) for rows x, in chunks."""
    out = []
    for i in range(0, len(x), CHUNK):
        logits = np.asarray(net.forward(np.asarray(x[i : i + CHUNK], net.dtype))[0])
        out.append(logits[:, a] - (logits[:, b] if b is not None else 0.0))
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def gradients(net: Network, x: np.ndarray, a: int, b: int | None) -> np.ndarray:
    """d margin / d input for rows x, in chunks, float64, flat (n, n_inputs)."""
    out = []
    for i in range(0, len(x), CHUNK):
        rows = np.asarray(x[i : i + CHUNK], net.dtype)
        out.append(np.asarray(metrics.saliency(net, rows, a, b)).reshape(len(rows), -1))
    return np.concatenate(out).astype(np.float64)


def baseline_image(kind: str, x: np.ndarray, mean_digit: np.ndarray | None = None) -> np.ndarray:
    """ "black" (all zeros) or "mean" (the training set's mean image, which the caller gives)."""
    if kind == "black":
        return np.zeros_like(x, dtype=np.float64)
    if kind == "mean":
        if mean_digit is None:
            raise ValueError("the mean-digit baseline needs the training set's mean image")
        return np.asarray(mean_digit, np.float64).reshape(x.shape)
    raise ValueError(f"baseline {kind!r}: use black or mean")


def integrated_gradients(
    net: Network,
    x: np.ndarray,
    a: int,
    b: int | None = None,
    baseline: np.ndarray | None = None,
    steps: int = 32,
) -> IntegratedGradients:
    """Integrated gradients of margin a−b for one flat input x, by the midpoint rule; the
    steps double until the attributions add up to the margin's change within 1 % or
    MAX_STEPS. Along the path a ReLU or max-pool network's gradient jumps where a unit or a
    pool's winner switches, so the error shrinks only as 1/steps: a small margin change next
    to large attributions (seen: -0.06 on a CNN) needed 4,096 steps."""
    x = np.asarray(x, np.float64).reshape(-1)
    base = np.zeros_like(x) if baseline is None else np.asarray(baseline, np.float64).reshape(-1)
    ends = margins(net, np.stack([x, base]), a, b)
    n = max(1, int(steps))
    while True:
        alphas = (np.arange(n) + 0.5) / n
        path = base[None, :] + alphas[:, None] * (x - base)[None, :]
        mean_grad = gradients(net, path, a, b).mean(axis=0)
        result = IntegratedGradients((x - base) * mean_grad, float(ends[0]), float(ends[1]), n)
        if result.complete or n >= MAX_STEPS:
            return result
        n *= 2


def smoothgrad(
    net: Network,
    x: np.ndarray,
    a: int,
    b: int | None = None,
    sigma: float = 0.15,
    samples: int = 32,
    seed: int = 0,
) -> np.ndarray:
    """The gradient of margin a−b averaged over `samples` copies of x with Gaussian noise of
    std `sigma` (in the input's 0..1 scale; Smilkov et al. 2017 suggest 10-20 % of the range).
    Seeded: the same call gives the same map."""
    x = np.asarray(x, np.float64).reshape(-1)
    rng = np.random.default_rng(seed)
    noisy = x[None, :] + rng.normal(0.0, float(sigma), size=(int(samples), x.size))
    return gradients(net, noisy, a, b).mean(axis=0)


def occlusion(
    net: Network,
    x: np.ndarray,
    image_shape: tuple[int, int],
    a: int,
    b: int | None = None,
    patch: int = 4,
    stride: int = 2,
    fill: float = 0.0,
) -> np.ndarray:
    """(H, W): how much margin a−b drops when a patch×patch square around each pixel is set to
    `fill`, averaged over the patches that cover the pixel. Positive = the pixel's region
    speaks for a over b. Only forward passes: ceil((H−patch)/stride + 1)² of them, batched."""
    h, w = image_shape
    x = np.asarray(x, np.float64).reshape(-1)
    if x.size % (h * w):
        raise ValueError(f"an input of {x.size} values is not made of {h}x{w} images")
    if not 1 <= patch <= min(h, w) or stride < 1:
        raise ValueError(f"patch {patch} and stride {stride}: use 1..{min(h, w)} and >= 1")
    image = x.reshape(-1, h, w)  # channels first, as the data sets' rows are
    tops = _starts(h, patch, stride)
    lefts = _starts(w, patch, stride)
    covered = [(t, left) for t in tops for left in lefts]
    copies = np.repeat(image[None], len(covered), axis=0)
    for k, (t, left) in enumerate(covered):
        copies[k, :, t : t + patch, left : left + patch] = fill
    base = margins(net, x[None, :], a, b)[0]
    drops = base - margins(net, copies.reshape(len(covered), -1), a, b)
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    for drop, (t, left) in zip(drops, covered, strict=True):
        total[t : t + patch, left : left + patch] += drop
        count[t : t + patch, left : left + patch] += 1
    return total / np.maximum(count, 1)


def _starts(size: int, patch: int, stride: int) -> list[int]:
    """Patch starts that cover every pixel: every stride, plus the last one flush with the edge."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts
