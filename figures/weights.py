"""What the weights look like: first-layer units as images, deeper matrices, value histograms."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.theme import empty_figure, histogram_bar, image_axes, run_color, style


def tile_grid(images, cols: int, gutter: int = 1, fill: float = np.nan) -> np.ndarray:
    """Lay (N, H, W) images row by row into one 2-D array with `gutter`-pixel `fill` gaps.

    One big array drawn by one heatmap is far faster in the browser than N subplots. The
    result is float (so NaN gaps show as transparent); N = 0 gives a (0, 0) array.
    """
    imgs = np.asarray(images, dtype=np.float64)
    if imgs.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {imgs.shape}")
    if cols < 1 or gutter < 0:
        raise ValueError(f"need cols >= 1 and gutter >= 0, got cols={cols}, gutter={gutter}")
    n, h, w = imgs.shape
    if n == 0:
        return np.empty((0, 0))
    rows = math.ceil(n / cols)
    out = np.full((rows * h + (rows - 1) * gutter, cols * w + (cols - 1) * gutter), fill, float)
    for i, img in enumerate(imgs):
        r, c = divmod(i, cols)
        out[r * (h + gutter) : r * (h + gutter) + h, c * (w + gutter) : c * (w + gutter) + w] = img
    return out


def _symmetric(z: np.ndarray) -> float:
    """Half-width of a colour range centred on 0 that covers every finite value (1 if none)."""
    finite = np.abs(z[np.isfinite(z)])
    m = float(finite.max()) if finite.size else 0.0
    return m if m > 0 else 1.0


def weight_tiles(
    W, image_shape, max_tiles: int = 64, cols: int | None = None, height: int | None = None
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
    title = f"First-layer weights: {n} of {n_units} units"
    if n == 0:
        return empty_figure("no hidden units", height=height or 300, title=title)
    cols = min(cols or math.ceil(math.sqrt(n)), n)
    rows = math.ceil(n / cols)
    z = tile_grid(W[:, :n].T.reshape(n, *image_shape), cols=cols)
    m = _symmetric(z)
    fig = go.Figure(
        go.Heatmap(
            z=z.astype(np.float32),  # half the payload of float64
            colorscale="RdBu",
            zmid=0,
            zmin=-m,
            zmax=m,
            hoverongaps=False,
            hovertemplate="w = %{z:.3f}<extra></extra>",
            colorbar={"title": {"text": "weight"}, "thickness": 12},
        )
    )
    image_axes(fig)
    return style(fig, height=height or min(900, max(260, 90 + 60 * rows)), title=title)


def weight_matrix(W, title: str, height: int = 300) -> go.Figure:
    """A deeper layer's weight matrix (rows = inputs, columns = outputs), RdBu centred on 0."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D, got shape {W.shape}")
    if W.size == 0:
        return empty_figure("empty weight matrix", height=height, title=title)
    m = _symmetric(W)
    fig = go.Figure(
        go.Heatmap(
            z=W,
            colorscale="RdBu",
            zmid=0,
            zmin=-m,
            zmax=m,
            hovertemplate="input %{y} → output %{x}<br>w = %{z:.3f}<extra></extra>",
            colorbar={"title": {"text": "weight"}, "thickness": 12},
        )
    )
    fig.update_xaxes(title="output unit", showgrid=False)
    fig.update_yaxes(title="input unit", autorange="reversed", showgrid=False)
    return style(fig, height=height, title=title)


def weight_histograms(
    weights: list[np.ndarray], names: list[str] | None = None, bins: int = 60, height: int = 260
) -> go.Figure:
    """Distribution of each layer's weights, one panel per layer (up to 4 per row).

    Faceted rather than overlaid because layer sizes differ by orders of magnitude. Bin counts
    are computed here and drawn as bars, so 600k weights stay a few hundred numbers.
    `height` is per row of panels.
    """
    names = list(names) if names is not None else [f"layer {i + 1}" for i in range(len(weights))]
    if len(names) != len(weights):
        raise ValueError(f"{len(weights)} weight arrays but {len(names)} names")
    if not weights:
        return empty_figure("no weights yet", height=height, title="Weight distributions")
    cols = min(4, len(weights))
    rows = math.ceil(len(weights) / cols)
    titles = [f"{nm} ({np.size(w):,} weights)" for nm, w in zip(names, weights, strict=True)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.06)
    for i, (nm, w) in enumerate(zip(names, weights, strict=True)):
        bar = histogram_bar(w, bins, name=nm, marker={"color": run_color(i)})
        fig.add_trace(bar, row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(bargap=0, showlegend=False)
    fig.update_xaxes(title_text="weight", row=rows)
    return style(fig, height=height * rows, title="Weight distributions")
