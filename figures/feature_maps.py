"""One sample through a network: each layer's output beside the gradient of a margin there.

A row per layer: on the left what the layer outputs for the sample (its channels as a grid of
small images, or its units as a strip), on the right d(margin)/d(that output) on a symmetric
red-blue scale, so a person sees where the network looks and what would tip it from one class
to the other (ConvNetJS shows activations and gradients per layer for one example).
"""

from __future__ import annotations

import math

import numpy as np
from plotly.subplots import make_subplots

from figures.grid import tile_grid
from figures.theme import base_layout, empty_figure, symmetric_limit

ROW_HEIGHT = 120  # pixels per layer row


def mosaic(values: np.ndarray, max_channels: int) -> np.ndarray:
    """A layer's output as one 2-D array: (C, H, W) channels in a grid (at most
    max_channels of them), a vector of units as a near-square block."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 3:
        shown = values[:max_channels]
        return tile_grid(shown, cols=min(len(shown), 8))
    flat = values.ravel()
    cols = math.ceil(math.sqrt(flat.size * 4))  # four times wider than tall
    padded = np.full(math.ceil(flat.size / cols) * cols, np.nan)
    padded[: flat.size] = flat
    return padded.reshape(-1, cols)


def layer_maps_figure(rows, gradient_of: str, max_channels: int = 16):
    """`rows`: (layer description, output, gradient) per layer (netlib.confusions'
    layer_activity); `gradient_of` names the margin, e.g. 'logit 4 − logit 9'."""
    if not rows:
        return empty_figure("no layers to show", height=200)
    titles = [t for name, _, _ in rows for t in (name, f"∂({gradient_of})")]
    gap = 0.3 / len(rows)
    fig = make_subplots(rows=len(rows), cols=2, subplot_titles=titles, vertical_spacing=gap,
                        horizontal_spacing=0.04)  # fmt: skip
    for i, (_, out, grad) in enumerate(rows, start=1):
        act, dz = mosaic(out, max_channels), mosaic(grad, max_channels)
        fig.add_heatmap(z=act, row=i, col=1, colorscale="Viridis", showscale=False,
                        hovertemplate="%{z:.3f}<extra>output</extra>")  # fmt: skip
        m = symmetric_limit(dz) or 1.0
        hover = "%{z:.3g}<extra>gradient</extra>"
        fig.add_heatmap(z=dz, row=i, col=2, colorscale="RdBu", zmid=0, zmin=-m, zmax=m,
                        showscale=False, hovertemplate=hover)  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed")
    for n in range(1, 2 * len(rows) + 1):  # square pixels in every panel
        fig.layout[f"yaxis{n if n > 1 else ''}"].scaleanchor = f"x{n if n > 1 else ''}"
    fig.update_layout(base_layout(height=60 + ROW_HEIGHT * len(rows)))
    fig.update_annotations(font_size=11)
    return fig
