"""The weight views of a network (MLP or layer stack) as figures: the Train page's live panel
and the Inspect page draw the same three."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

import figures
from netlib import confusions, nets
from netlib.training_data import scale_images

NO_DEEPER_LAYERS = "No deeper layers: this network has no layer with weights after its first."


def first_layer_figure(net, shape: tuple[int, int] | None) -> go.Figure:
    """What each first-layer unit looks for: tiles on the image (an MLP, or a convolution's
    filters), else the first weight matrix itself."""
    tiles = nets.first_layer_tiles(net, shape)
    if tiles is None:
        return figures.weight_matrix(nets.weight_arrays(net)[0][1], "layer 1 weights")
    cols = None if confusions.has_hidden(net) else 10  # no hidden layer: a tile per class
    return figures.weight_tiles(*tiles, cols=cols)


def deeper_figures(net) -> list[tuple[str, Callable[[], go.Figure]]]:
    """(key, figure maker) of each layer with weights after the first: a deeper convolution's
    filters as tiles (each averaged over its input channels), a dense layer's matrix. Makers,
    so the live panel builds a figure only when its network changed."""
    out: list[tuple[str, Callable[[], go.Figure]]] = []
    for name, w, tile in nets.deeper_filter_tiles(net):
        title = f"{name} filters (mean over input channels)"
        out.append((name, lambda w=w, t=tile, title=title: figures.weight_tiles(w, t, title=title)))
    for name, w in nets.dense_matrices(net):
        title = f"{name}: {w.shape[0]} → {w.shape[1]}"
        out.append((name, lambda w=w, title=title: figures.weight_matrix(w, title)))
    return out


PROBE_IMAGES = 256  # test images whose activations the histograms show


def probe_batch(ds, dtype: str):
    """The first PROBE_IMAGES test images of a data set, scaled as runs train on them."""
    return scale_images(ds.test_images[:PROBE_IMAGES], ds.max_value, dtype)


def histogram_figure(net, probe=None) -> go.Figure:
    """Weights and batch-norm statistics per layer, and with a probe batch (flat rows) each
    hidden layer's activations on it."""
    pairs = nets.histogram_arrays(net)
    nouns = ["values" if ".batchnorm." in name else "weights" for name, _ in pairs]
    title = "Weight distributions"
    if probe is not None and len(probe):
        acts = confusions.activation_values(net, probe)
        pairs, nouns = pairs + acts, nouns + ["activations"] * len(acts)
        title = f"Weights, and activations on {len(probe)} test images"
    names, arrays = zip(*pairs, strict=True)
    return figures.weight_histograms(list(arrays), list(names), nouns=nouns, title=title)
