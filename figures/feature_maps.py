"""One sample through a network: each layer's output beside the gradient of a margin there.

A row per layer: on the left what the layer outputs for the sample (its channels as a grid of
small images, or its units as a strip), on the right d(margin)/d(that output) on a symmetric
red-blue scale, so a person sees where the network looks and what would tip it from one class
to the other (ConvNetJS shows activations and gradients per layer for one example).
"""

from __future__ import annotations

import math

import numpy as np

from figures.grid import tile_grid
from figures.theme import base_layout, empty_figure, make_figure, symmetric_limit

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
    layer_activity); `gradient_of` names the margin, e.g. 'logit 4 − logit 9'.

    Built from plain dicts with the panels laid out by hand (make_figure): the live Train
    page redraws it every refresh, and make_subplots + add_heatmap cost several times more
    server time, taken from the training thread beside it."""
    if not rows:
        return empty_figure("no layers to show", height=200)
    n = len(rows)
    gap = 0.3 / n
    tall = (1 - (n - 1) * gap) / n
    traces, notes, layout = [], [], base_layout(height=60 + ROW_HEIGHT * n)
    for r, (name, out, grad) in enumerate(rows):
        act, dz = mosaic(out, max_channels), mosaic(grad, max_channels)
        m = symmetric_limit(dz) or 1.0
        top = min(1.0, 1 - r * (tall + gap))
        bottom = max(0.0, top - tall)  # rounding must not leave [0, 1]
        panels = (
            (name, {"z": act.astype(np.float32), "colorscale": "Viridis",
                    "hovertemplate": "%{z:.3f}<extra>output</extra>"}),
            (f"∂({gradient_of})", {"z": dz.astype(np.float32), "colorscale": "RdBu", "zmid": 0,
                                   "zmin": -m, "zmax": m,
                                   "hovertemplate": "%{z:.3g}<extra>gradient</extra>"}),
        )  # fmt: skip
        for c, (title, heat) in enumerate(panels):
            k = r * 2 + c + 1
            suffix = "" if k == 1 else str(k)
            x0, x1 = (0.0, 0.48) if c == 0 else (0.52, 1.0)
            traces.append({"type": "heatmap", "showscale": False, "hoverongaps": False,
                           "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", **heat})  # fmt: skip
            layout[f"xaxis{suffix}"] = {"domain": [x0, x1], "anchor": f"y{suffix}",
                                        "visible": False}  # fmt: skip
            layout[f"yaxis{suffix}"] = {"domain": [bottom, top], "anchor": f"x{suffix}",
                                        "visible": False, "autorange": "reversed",
                                        "scaleanchor": f"x{suffix}"}  # fmt: skip
            notes.append({"text": title, "x": (x0 + x1) / 2, "y": top, "xref": "paper",
                          "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                          "showarrow": False, "font": {"size": 11}})  # fmt: skip
    layout["annotations"] = notes
    return make_figure(traces, layout)
