"""Surgery on a trained network (issue 21): switch off hidden units, prune the smallest
weights, add Gaussian noise to the weights, or scale a layer, always on a copy, so the
accuracy and the confusions before and after can be compared. Any network of netlib.nets:
its weight arrays come from nets.weight_arrays (input side first)."""

from __future__ import annotations

import numpy as np

from netlib.nets import Network, weight_arrays
from netlib.network import MLP


def _weights(net: Network) -> list[np.ndarray]:
    return [w for _, w in weight_arrays(net)]


def _biases(net: Network) -> list[np.ndarray]:
    if isinstance(net, MLP):
        return net.biases
    out = []
    for layer in net.layers:
        params = layer.params()
        if "W" in params:
            out.append(params.get("b"))
    return out


def switch_off(net: Network, layer: int, units) -> Network:
    """A copy with the given units (dense) or channels (conv) of weight layer `layer` silenced:
    their incoming weights and bias set to 0, so a ReLU or linear unit outputs 0."""
    twin = net.copy()
    w = _weights(twin)[layer]
    b = _biases(twin)[layer]
    units = np.asarray(list(units), dtype=int)
    if w.ndim == 2:  # dense: (inputs, units)
        w[:, units] = 0
    else:  # conv: (channels out, channels in, k, k)
        w[units] = 0
    if b is not None:
        b[units] = 0
    return twin


def prune(net: Network, fraction: float, per_layer: bool = True) -> Network:
    """A copy with the smallest |weights| set to 0: `fraction` of each layer's, or of all the
    weights together (per_layer=False). Ties at the threshold are pruned in index order, so
    exactly round(fraction * n) weights go."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction {fraction}: use 0..1")
    twin = net.copy()
    arrays = _weights(twin)
    groups = [[w] for w in arrays] if per_layer else [arrays]
    for group in groups:
        flat = np.concatenate([np.abs(w).ravel() for w in group])
        k = int(round(fraction * flat.size))
        if k == 0:
            continue
        order = np.argsort(flat, kind="stable")[:k]
        mask = np.ones(flat.size, bool)
        mask[order] = False
        start = 0
        for w in group:
            part = mask[start : start + w.size].reshape(w.shape)
            w *= part
            start += w.size
    return twin


def add_noise(net: Network, sigma: float, seed: int = 0) -> Network:
    """A copy with Gaussian noise of std sigma times each layer's weight std added."""
    twin = net.copy()
    rng = np.random.default_rng(seed)
    for w in _weights(twin):
        w += (rng.normal(0.0, 1.0, w.shape) * sigma * float(w.std())).astype(w.dtype)
    return twin


def scale_layer(net: Network, layer: int, factor: float) -> Network:
    twin = net.copy()
    _weights(twin)[layer][...] *= factor
    return twin


def pruning_curve(net: Network, x: np.ndarray, labels: np.ndarray, fractions) -> np.ndarray:
    """Test accuracy after pruning each fraction of every layer's weights."""
    out = []
    for f in fractions:
        pred = np.asarray(prune(net, f).logits(x)).argmax(axis=1)
        out.append(float((pred == labels).mean()))
    return np.array(out)
