"""The weight views of a network (MLP or layer stack) as figures: the Train page's live panel
and the Inspect page draw the same three."""

from __future__ import annotations

import plotly.graph_objects as go

import figures
from netlib import confusions, nets

NO_DEEPER_LAYERS = "No deeper layers: this network has no hidden dense layer."


def first_layer_figure(net, shape: tuple[int, int] | None) -> go.Figure:
    """What each first-layer unit looks for: tiles on the image (an MLP, or a convolution's
    filters), else the first weight matrix itself."""
    tiles = nets.first_layer_tiles(net, shape)
    if tiles is None:
        return figures.weight_matrix(nets.weight_arrays(net)[0][1], "layer 1 weights")
    cols = None if confusions.has_hidden(net) else 10  # no hidden layer: a tile per class
    return figures.weight_tiles(*tiles, cols=cols)


def deeper_matrices(net) -> list[tuple[str, object]]:
    """(title, matrix) of each dense layer after the first layer with weights."""
    return [(f"{name}: {w.shape[0]} → {w.shape[1]}", w) for name, w in nets.dense_matrices(net)]


def histogram_figure(net) -> go.Figure:
    names, arrays = zip(*nets.weight_arrays(net), strict=True)
    return figures.weight_histograms(list(arrays), list(names))
