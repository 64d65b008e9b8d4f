"""Pair-lens figures: two classes' mean images and their difference, saliency tiles, units.

Charts the other figure modules do not draw; each takes plain arrays and returns a Figure.
Blue means "towards the first class of the pair", red "towards the second", everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.explain import _under_saliency
from figures.theme import _image_stack, _symmetric, empty_figure, image_axes, style
from figures.weights import tile_grid

_TIGHT = {"l": 10, "r": 10, "t": 50, "b": 10}


def _rdbu(z: np.ndarray, **heatmap) -> go.Heatmap:
    """z in RdBu centred on 0, on a range symmetric about it; heatmap: more trace settings."""
    m = _symmetric(z)
    return go.Heatmap(z=z.astype(np.float32), zmid=0, zmin=-m, zmax=m, colorscale="RdBu", **heatmap)


def pair_means_figure(mean_a, mean_b, a_name: str, b_name: str, height: int = 280) -> go.Figure:
    """Average image of a, of b (gray, shared 0..1 scale) and a − b (RdBu: blue = more a)."""
    ma, mb = np.asarray(mean_a, dtype=np.float64), np.asarray(mean_b, dtype=np.float64)
    if ma.ndim != 2 or ma.shape != mb.shape:
        raise ValueError(f"need two 2-D mean images of one shape, got {ma.shape} and {mb.shape}")
    diff = ma - mb
    titles = [f"average {a_name}", f"average {b_name}", f"{a_name} − {b_name}"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.04)
    for col, m in ((1, ma), (2, mb)):
        gray = go.Heatmap(
            z=m.astype(np.float32),
            zmin=0,
            zmax=1,
            colorscale="gray_r",
            showscale=False,
            hovertemplate="%{z:.2f}<extra></extra>",
        )
        fig.add_trace(gray, row=1, col=col)
    fig.add_trace(
        _rdbu(
            diff,
            colorbar={"title": {"text": "difference"}, "thickness": 10},
            hovertemplate="%{z:+.2f}<extra></extra>",
        ),
        row=1,
        col=3,
    )
    for col in (1, 2, 3):
        image_axes(fig, row=1, col=col)
    return style(fig, height=height, margin=_TIGHT)


def _titled_grid(tiles: np.ndarray, cols: int) -> tuple[np.ndarray, int, int, int]:
    """Tiles laid out with a blank band above each for its caption: (grid, rows, band, cols)."""
    n, h, w = tiles.shape
    cols = max(1, min(cols, n))
    band = math.ceil(0.4 * h)
    padded = np.concatenate([np.full((n, band, w), np.nan), tiles], axis=1)
    return tile_grid(padded, cols), math.ceil(n / cols), band, cols


def _captions(titles, n: int, h: int, w: int, band: int, cols: int) -> list[dict]:
    notes = []
    for i in range(n):
        r, c = divmod(i, cols)
        notes.append(
            {
                "x": c * (w + 1) - 0.5 + w / 2,
                "y": r * (h + band + 1) + band - 0.5,
                "text": str(titles[i]),
                "showarrow": False,
                "yanchor": "bottom",
                "font": {"size": 11},
            }
        )
    return notes


def _grid_height(rows: int, h: int, band: int, title: bool) -> int:
    return int(min(1400, 20 + (50 if title else 10) + rows * (h + band + 1) * 3.2))


def saliency_tiles(
    images,
    saliencies,
    titles,
    cols: int = 6,
    max_value: float = 255,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Digits in gray under their saliency, one tile each, as one figure.

    Each tile's saliency is divided by its own largest |value| (shapes compare across tiles,
    sizes do not): blue pixels raise the first logit of the pair, red ones the second.
    Trace 0 is the images, trace 1 the saliencies.
    """
    imgs = _image_stack(images)
    if imgs.size == 0:
        return empty_figure("no such sample", height=height or 200, title=title)
    n, h, w = imgs.shape
    sal = np.asarray(saliencies, dtype=np.float64).reshape(n, h, w)
    if len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} titles")
    peak = np.abs(sal).reshape(n, -1).max(axis=1)
    sal = sal / np.where(peak > 0, peak, 1.0)[:, None, None]
    img_grid, rows, band, cols = _titled_grid(imgs, cols)
    sal_grid, *_ = _titled_grid(sal, cols)
    fig = _under_saliency(
        img_grid,
        sal_grid,
        max_value,
        1,
        showscale=False,
        hoverongaps=False,
        hovertemplate="saliency %{z:+.2f} of the tile's largest<extra></extra>",
    )
    image_axes(fig)
    margin = {**_TIGHT, "t": 50 if title else 10}
    return style(
        fig,
        height=height or _grid_height(rows, h, band, bool(title)),
        title=title,
        annotations=_captions(titles, n, h, w, band, cols),
        margin=margin,
    )


def receptive_fields(
    W,
    units,
    image_shape,
    titles,
    cols: int = 8,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """The input weights of the chosen first-layer units as images (RdBu, one shared scale).

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
    h, w = image_shape
    tiles = W[:, units].T.reshape(len(units), h, w)
    grid, rows, band, cols = _titled_grid(tiles, cols)
    fig = go.Figure(
        _rdbu(
            grid,
            hoverongaps=False,
            hovertemplate="w = %{z:.3f}<extra></extra>",
            colorbar={"title": {"text": "weight"}, "thickness": 10},
        )
    )
    image_axes(fig)
    margin = {**_TIGHT, "t": 50 if title else 10}
    return style(
        fig,
        height=height or max(200, _grid_height(rows, h, band, bool(title))),
        title=title,
        annotations=_captions(titles, len(units), h, w, band, cols),
        margin=margin,
    )
