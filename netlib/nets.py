"""The two kinds of network a config can describe, and the one place that builds either.

A plain fully connected architecture (hidden widths, or dense-only layers with the network's
activation) trains as netlib.network's MLP: faster, bit-identical with the runs and model
files made before layer stacks existed, and every weight view knows it. Anything else
(convolutions, pooling, batch norm, dropout layers, per-layer activations) trains as a
netlib.layer_stack LayerStack. Both offer what the trainer and the metrics call: forward,
backward, params, logits, l2_penalty, copy.
"""

from __future__ import annotations

import numpy as np

from netlib.config import NetConfig
from netlib.layer_stack import LayerStack, build
from netlib.network import MLP

Network = MLP | LayerStack


def input_shape(image_shape: tuple[int, int]) -> tuple[int, int, int]:
    """Grayscale images as the layers see them: (channels, height, width)."""
    return (1, int(image_shape[0]), int(image_shape[1]))


def create(
    config: NetConfig,
    image_shape: tuple[int, int],
    classes: int,
    rng: np.random.Generator,
    dropout_rng: np.random.Generator | None = None,
) -> Network:
    """A freshly initialised network for config on images of image_shape. Raises
    ArchitectureError (a ConfigError) when the layers do not fit the images."""
    widths = config.mlp_hidden
    if widths is not None:
        sizes = [int(np.prod(image_shape)), *widths, classes]
        return MLP.create(
            sizes, config.activation, config.init, rng, config.dtype, config.init_scale
        )
    return build(
        config.layer_specs,
        input_shape(image_shape),
        classes,
        config.activation,
        config.init,
        rng,
        config.dtype,
        config.init_scale,
        dropout_rng,
    )


def forward_train(net: Network, x: np.ndarray, dropout: float, rng: np.random.Generator):
    """One training forward pass: the MLP's dropout from the config, the stack's own layers."""
    if isinstance(net, MLP):
        return net.forward(x, dropout, rng)
    return net.forward(x, train=True)


def inputs_of(net: Network) -> int:
    """How many pixels one input has."""
    return net.sizes[0] if isinstance(net, MLP) else int(np.prod(net.input_shape))


def classes_of(net: Network) -> int:
    return net.sizes[-1] if isinstance(net, MLP) else net.classes


def weight_arrays(net: Network) -> list[tuple[str, np.ndarray]]:
    """(name, weights) of every conv and dense layer, input side first (histograms)."""
    if isinstance(net, MLP):
        return [(f"layer {i + 1}", w) for i, w in enumerate(net.weights)]
    return [
        (name.rsplit(".", 1)[0], w) for name, w in net.named_params().items() if name.endswith(".W")
    ]


def histogram_arrays(net: Network) -> list[tuple[str, np.ndarray]]:
    """(name, values) of every conv and dense layer's weights, then every batch norm's scale,
    shift and running statistics: the distributions a histogram view shows."""
    out = weight_arrays(net)
    if isinstance(net, LayerStack):
        named = {**net.named_params(), **net.buffers()}
        out += [(name, v) for name, v in named.items() if ".batchnorm." in name]
    return out


def dense_matrices(net: Network) -> list[tuple[str, np.ndarray]]:
    """(name, (fan_in, fan_out) matrix) of the dense layers after the first layer with weights:
    the 'deeper layers' view."""
    return [(name, w) for name, w in weight_arrays(net)[1:] if w.ndim == 2]


def deeper_filter_tiles(net: Network) -> list[tuple[str, np.ndarray, tuple[int, int]]]:
    """(name, matrix (k*k, filters), (k, k)) for every convolution after the first layer with
    weights: each filter averaged over its input channels (what it looks for, in one tile)."""
    out = []
    for name, w in weight_arrays(net)[1:]:
        if w.ndim == 4:
            f, _, k, _ = w.shape
            out.append((name, w.mean(axis=1).reshape(f, k * k).T, (k, k)))
    return out


def first_layer_tiles(
    net: Network, image_shape: tuple[int, int] | None
) -> tuple[np.ndarray, tuple[int, int]] | None:
    """What each first-layer unit looks for, as (matrix (pixels, units), tile shape): an MLP's
    or a first dense layer's weights on the image, a first convolution's filters (one K×K tile
    per filter). None when there is no such picture (no image shape for a dense layer)."""
    if isinstance(net, MLP):
        return (net.weights[0], image_shape) if image_shape else None
    (name, w), *_ = weight_arrays(net)
    if w.ndim == 4:  # (filters, channels, k, k): one tile per filter, channels side by side
        f, c, k, _ = w.shape
        return w.transpose(0, 2, 1, 3).reshape(f, k * c * k).T, (k, c * k)
    if image_shape and w.shape[0] == int(np.prod(image_shape)):
        return w, image_shape
    return None


def in_float64(net: Network, config: NetConfig, image_shape: tuple[int, int]) -> Network:
    """The same network in float64 (a copy): attributions that must add up to 1 % of a small
    margin need more than float32's seven digits."""
    if net.dtype == np.float64:
        return net
    if isinstance(net, MLP):
        return MLP([w.astype(np.float64) for w in net.weights],
                   [b.astype(np.float64) for b in net.biases], net.activation)  # fmt: skip
    twin = create(config.replace(dtype="float64"), image_shape, net.classes,
                  np.random.default_rng(0))  # fmt: skip
    twin.load_state(net.state())
    return twin
