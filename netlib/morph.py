"""A 4 → 9 morph (issue 20): slide from one sample to another and watch the classifier's
output — p(a), p(b) and the strongest other class — and where its decision flips.

Two paths: in pixels (the images blended; what the network sees is a real in-between image),
and in a hidden layer (that layer's activations blended, the rest of the network run on them;
no image is decoded: only the classifier's output is shown). Any network of netlib.nets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netlib.confusions import _hidden_outputs
from netlib.layer_stack import LayerStack
from netlib.losses import LOSSES
from netlib.nets import Network


@dataclass(frozen=True)
class Morph:
    alphas: np.ndarray  # (steps,) 0 = the first sample, 1 = the second
    proba: np.ndarray  # (steps, classes)
    a: int
    b: int
    images: np.ndarray | None  # (steps, n_inputs) on the pixel path, None on a hidden one

    @property
    def top_other(self) -> np.ndarray:
        """(steps,) the most probable class other than a and b at each step."""
        p = self.proba.copy()
        p[:, [self.a, self.b]] = -np.inf
        return p.argmax(axis=1)

    @property
    def flip(self) -> float | None:
        """The first alpha at which the predicted class is no longer a (None if it never is
        a, or stays a)."""
        pred = self.proba.argmax(axis=1)
        if pred[0] != self.a:
            return None
        changed = np.flatnonzero(pred != self.a)
        return float(self.alphas[changed[0]]) if len(changed) else None


def hidden_layer_names(net: Network, x: np.ndarray) -> list[str]:
    """The layers a hidden path can blend in, named as the other views name them."""
    return [name for name, _ in _hidden_outputs(net, np.asarray(x).reshape(1, -1))[1]]


def forward_from(net: Network, layer: int, h: np.ndarray) -> np.ndarray:
    """Logits from hidden layer `layer`'s outputs h (an index into hidden_layer_names), eval
    mode: the rest of the network run on h."""
    if isinstance(net, LayerStack):
        start = sorted(net.unit_layers())[layer] + 1
        a = h
        for stage in net.layers[start:]:
            a, _ = stage.forward(a, False)
        return a
    a = h
    last = len(net.weights) - 1
    for i in range(layer + 1, len(net.weights)):
        z = a @ net.weights[i] + net.biases[i]
        a = z if i == last else net._act.forward(z)
    return a


def _alphas(steps: int) -> np.ndarray:
    if not 2 <= steps <= 1001:
        raise ValueError(f"steps {steps}: use 2..1001")
    return np.linspace(0.0, 1.0, steps)


def pixel_morph(
    net: Network, xa: np.ndarray, xb: np.ndarray, a: int, b: int, steps: int = 21,
    loss: str = "cross_entropy",
) -> Morph:  # fmt: skip
    alphas = _alphas(steps)
    xa, xb = (np.asarray(v, np.float64).reshape(-1) for v in (xa, xb))
    images = (1 - alphas)[:, None] * xa[None, :] + alphas[:, None] * xb[None, :]
    logits = np.asarray(net.forward(images.astype(net.dtype))[0], np.float64)
    return Morph(alphas, LOSSES[loss].proba(logits), a, b, images)


def hidden_morph(
    net: Network, xa: np.ndarray, xb: np.ndarray, a: int, b: int, layer: int = 0,
    steps: int = 21, loss: str = "cross_entropy",
) -> Morph:  # fmt: skip
    alphas = _alphas(steps)
    pair = np.stack([np.asarray(xa).reshape(-1), np.asarray(xb).reshape(-1)]).astype(net.dtype)
    hidden = _hidden_outputs(net, pair)[1]
    if not 0 <= layer < len(hidden):
        raise ValueError(f"layer {layer}: the network has {len(hidden)} hidden layers")
    ha, hb = hidden[layer][1].astype(np.float64)
    shape = (len(alphas),) + (1,) * ha.ndim
    blended = (1 - alphas).reshape(shape) * ha[None] + alphas.reshape(shape) * hb[None]
    logits = np.asarray(forward_from(net, layer, blended.astype(net.dtype)), np.float64)
    return Morph(alphas, LOSSES[loss].proba(logits), a, b, None)


def closest_pair(
    x: np.ndarray, labels: np.ndarray, predicted: np.ndarray, a: int, b: int
) -> tuple[int, int] | None:
    """A true a taken for b and the nearest (in pixels) true b the network gets right: the
    pair a morph between them is most telling for. None when no a is taken for b."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    confused = np.flatnonzero((labels == a) & (predicted == b))
    right_b = np.flatnonzero((labels == b) & (predicted == b))
    if not len(confused) or not len(right_b):
        return None
    flat = np.asarray(x, np.float64).reshape(len(x), -1)
    best, best_d = None, np.inf
    for i in confused[:500]:  # bounded: 500 x (true b's) distances
        d = ((flat[right_b] - flat[i]) ** 2).sum(axis=1)
        j = int(d.argmin())
        if d[j] < best_d:
            best, best_d = (int(i), int(right_b[j])), float(d[j])
    return best
