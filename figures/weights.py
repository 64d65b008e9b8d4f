"""What the weights look like: first-layer units as images, deeper matrices, value histograms."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from figures.grid import grid_style, tile_grid, titled_grid
from figures.theme import (
    base_layout,
    empty_figure,
    histogram_trace,
    image_axes_layout,
    make_figure,
    rdbu_heatmap,
    run_color,
    symmetric_limit,
)


def weight_tiles(
    W,
    image_shape,
    max_tiles: int = 64,
    cols: int | None = None,
    height: int | None = None,
    title: str = "First-layer weights",
) -> go.Figure:
    """First-layer weights, one tile per hidden unit: the input pattern each unit responds to.

    W is (n_inputs, n_hidden); column j reshaped to `image_shape` is unit j's tile. Tiles share
    one colour scale (RdBu, symmetric around 0) so their strengths can be compared.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != math.prod(image_shape):
        raise ValueError(f"W must be (prod{tuple(image_shape)}, n_hidden), got {W.shape}")
    n_units = W.shape[1]
    n = min(max_tiles, n_units)
    title = f"{title}: {n} of {n_units} units"
    if n == 0:
        return empty_figure("no hidden units", height=height or 300, title=title)
    cols = min(cols or math.ceil(math.sqrt(n)), n)
    rows = math.ceil(n / cols)
    z = tile_grid(W[:, :n].T.reshape(n, *image_shape), cols=cols)
    m = symmetric_limit(z)
    heatmap = {
        "type": "heatmap",
        "z": z.astype(np.float32),  # half the payload of float64
        "colorscale": "RdBu",
        "zmid": 0,
        "zmin": -m,
        "zmax": m,
        "hoverongaps": False,
        "hovertemplate": "w = %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": "weight"}, "thickness": 12},
    }
    tall = height or min(900, max(260, 90 + 60 * rows))
    return make_figure([heatmap], base_layout(height=tall, title=title, **image_axes_layout()))


def weight_matrix(W, title: str, height: int = 300) -> go.Figure:
    """A deeper layer's weight matrix (rows = inputs, columns = outputs), RdBu centred on 0."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D, got shape {W.shape}")
    if W.size == 0:
        return empty_figure("empty weight matrix", height=height, title=title)
    m = symmetric_limit(W)
    heatmap = {
        "type": "heatmap",
        "z": W,
        "colorscale": "RdBu",
        "zmid": 0,
        "zmin": -m,
        "zmax": m,
        "hovertemplate": "input %{y} → output %{x}<br>w = %{z:.3f}<extra></extra>",
        "colorbar": {"title": {"text": "weight"}, "thickness": 12},
    }
    layout = base_layout(
        height=height,
        title=title,
        xaxis={"title": {"text": "output unit"}, "showgrid": False},
        yaxis={"title": {"text": "input unit"}, "autorange": "reversed", "showgrid": False},
    )
    return make_figure([heatmap], layout)


def receptive_fields(
    W,
    units,
    image_shape,
    titles,
    cols: int = 8,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """The input weights of the chosen first-layer units as captioned tiles (RdBu, one scale).

    W is (n_inputs, n_units); column units[i] becomes tile i. For a network with no hidden
    layer, pass the weight difference map as a one-column W.
    """
    W = np.asarray(W, dtype=np.float64)
    units = np.asarray(units, dtype=np.int64)
    if W.ndim != 2 or W.shape[0] != math.prod(image_shape):
        raise ValueError(f"W must be (prod{tuple(image_shape)}, units), got {W.shape}")
    if len(units) == 0:
        return empty_figure("no units", height=height or 200, title=title)
    if len(titles) != len(units):
        raise ValueError(f"{len(units)} units but {len(titles)} titles")
    grid = titled_grid(W[:, units].T.reshape(len(units), *image_shape), cols)
    heat = rdbu_heatmap(
        grid.z,
        hoverongaps=False,
        hovertemplate="w = %{z:.3f}<extra></extra>",
        colorbar={"title": {"text": "weight"}, "thickness": 10},
    )
    return grid_style(go.Figure(heat), grid, titles, title=title, height=height)


def weight_histograms(
    weights: list[np.ndarray],
    names: list[str] | None = None,
    bins: int = 60,
    height: int = 260,
    nouns: list[str] | None = None,
    title: str = "Weight distributions",
) -> go.Figure:
    """Distribution of each layer's weights, one panel per layer (up to 4 per row); `nouns`
    says per panel what its values are ('weights' by default, e.g. 'activations').

    Faceted rather than overlaid because layer sizes differ by orders of magnitude. Bin counts
    are computed here and drawn as bars, so 600k weights stay a few hundred numbers.
    `height` is per row of panels.
    """
    names = list(names) if names is not None else [f"layer {i + 1}" for i in range(len(weights))]
    if len(names) != len(weights):
        raise ValueError(f"{len(weights)} weight arrays but {len(names)} names")
    if not weights:
        return empty_figure("no weights yet", height=height, title=title)
    cols = min(4, len(weights))
    rows = math.ceil(len(weights) / cols)
    nouns = list(nouns) if nouns is not None else ["weights"] * len(weights)
    traces, layout = [], base_layout(height=height * rows, title=title)
    layout.update(bargap=0, showlegend=False, annotations=[])
    for i, (nm, w) in enumerate(zip(names, weights, strict=True)):
        k = "" if i == 0 else str(i + 1)
        (x0, x1), (y0, y1) = _panel_domain(i // cols, i % cols, rows, cols)
        traces.append(histogram_trace(w, bins, name=nm, xaxis=f"x{k}", yaxis=f"y{k}"))
        traces[-1]["marker"] = {"color": run_color(i)}
        bottom_row = i // cols == rows - 1
        layout[f"xaxis{k}"] = {"domain": [x0, x1], "anchor": f"y{k}"}
        if bottom_row:
            layout[f"xaxis{k}"]["title"] = {"text": nouns[i].rstrip("s")}
        layout[f"yaxis{k}"] = {"domain": [y0, y1], "anchor": f"x{k}"}
        layout["annotations"].append(
            {
                "text": f"{nm} ({np.size(w):,} {nouns[i]})",
                "x": (x0 + x1) / 2,
                "y": y1,
                "xref": "paper",
                "yref": "paper",
                "xanchor": "center",
                "yanchor": "bottom",
                "showarrow": False,
                "font": {"size": 16},
            }
        )
    return make_figure(traces, layout)


def _panel_domain(row: int, col: int, rows: int, cols: int, h_gap: float = 0.06):
    """Paper-coordinate x and y ranges of a grid panel (row 0 on top), like make_subplots."""
    v_gap = 0.3 / rows
    width = (1 - (cols - 1) * h_gap) / cols
    tall = (1 - (rows - 1) * v_gap) / rows
    x0 = col * (width + h_gap)
    y1 = 1 - row * (tall + v_gap)
    return (x0, x0 + width), (y1 - tall, y1)
