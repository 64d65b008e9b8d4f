"""Looking at samples: image grids, class balance, mean images, and one-prediction views.

probability_bars, saliency_overlay, margin_histogram and activation_bars live in
figures.explain and are re-exported here.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from figures.explain import activation_bars, margin_histogram, probability_bars, saliency_overlay
from figures.theme import ACCENT, BAD, _image_stack, empty_figure, image_axes, style
from figures.weights import tile_grid

__all__ = [
    "activation_bars",
    "class_counts",
    "image_grid",
    "margin_histogram",
    "mean_images",
    "probability_bars",
    "saliency_overlay",
]

_TIGHT = {"l": 10, "r": 10, "t": 10, "b": 10}


def _grid(images, titles, cols, colors, height, zmin, zmax, colorscale, title=None) -> go.Figure:
    imgs = _image_stack(images)
    if imgs.size == 0:
        return empty_figure("nothing to show", height=height or 200, title=title)
    n, h, w = imgs.shape
    for what, seq in (("titles", titles), ("colors", colors)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{n} images but {len(seq)} {what}")
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    band = math.ceil(0.4 * h) if titles is not None else 0  # blank strip above each tile
    z = tile_grid(np.concatenate([np.full((n, band, w), np.nan), imgs], axis=1), cols)
    fig = go.Figure(
        go.Heatmap(
            z=z.astype(np.float32),  # half the payload of float64
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            showscale=False,
            hoverongaps=False,
            hovertemplate="%{z:.3g}<extra></extra>",
        )
    )
    shapes, notes = [], []  # passed to the layout at once: add_annotation per tile is O(n²)
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = c * (w + 1) - 0.5, r * (h + band + 1) + band - 0.5  # tile's top-left corner
        color = colors[i] if colors is not None else "#333333"
        if titles is not None:
            notes.append(
                {
                    "x": x0 + w / 2,
                    "y": y0,
                    "text": str(titles[i]),
                    "showarrow": False,
                    "yanchor": "bottom",
                    "font": {"size": 11, "color": color},
                }
            )
        if colors is not None:
            box = {"x0": x0, "x1": x0 + w, "y0": y0, "y1": y0 + h}
            shapes.append({"type": "rect", **box, "line": {"color": color, "width": 2}})
    image_axes(fig)
    margin = {**_TIGHT, "t": 50} if title else _TIGHT
    auto = int(20 + margin["t"] + rows * (h + band + 1) * 2.5)
    return style(
        fig,
        height=height or min(1400, auto),
        title=title,
        shapes=shapes,
        annotations=notes,
        margin=margin,
    )


def image_grid(
    images,
    titles=None,
    cols: int = 10,
    colors=None,
    height: int | None = None,
    max_value: float = 255,
    colorscale: str = "gray_r",
) -> go.Figure:
    """(N, H, W) images as one heatmap, row by row, with a caption above each tile.

    colors[i] (e.g. "green" / "red") colours caption i and outlines its tile, to mark right
    and wrong predictions. Default height gives about 2.5 screen pixels per image pixel.
    """
    return _grid(images, titles, cols, colors, height, 0, max_value, colorscale)


def mean_images(means, class_names, height: int | None = None) -> go.Figure:
    """The average image of each class, one tile per class, on one shared gray scale."""
    m = np.asarray(means, dtype=np.float64)
    finite = m[np.isfinite(m)]
    lo = min(0.0, float(finite.min())) if finite.size else 0.0
    hi = float(finite.max()) if finite.size and finite.max() > lo else lo + 1
    names = [str(c) for c in class_names]
    cols = min(10, max(1, len(names)))
    return _grid(m, names, cols, None, height, lo, hi, "gray_r", "Average image per class")


def class_counts(class_names, train_counts, test_counts=None, height: int = 300) -> go.Figure:
    """Samples per class in the training and test split, side by side."""
    names = [str(c) for c in class_names]
    if not names:
        return empty_figure("no classes", height=height, title="Samples per class")
    fig = go.Figure()
    for split, counts, color in (("train", train_counts, ACCENT), ("test", test_counts, BAD)):
        if counts is None:
            continue
        if len(counts) != len(names):
            raise ValueError(f"{len(names)} classes but {len(counts)} {split} counts")
        fig.add_bar(
            x=names,
            y=np.asarray(counts),
            name=split,
            marker={"color": color},
            hovertemplate="%{x}: %{y:,}<extra>" + split + "</extra>",
        )
    fig.update_xaxes(type="category", title="class")
    fig.update_yaxes(title="samples")
    return style(fig, height=height, title="Samples per class", barmode="group")
