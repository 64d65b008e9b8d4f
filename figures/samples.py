"""Looking at samples: image grids, class balance, and mean images (of all classes, of a pair)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.grid import grid_style, image_stack, titled_grid
from figures.theme import ACCENT, BAD, empty_figure, image_axes, rdbu_heatmap, style


def _grid(images, titles, cols, colors, height, zmin, zmax, colorscale, title=None) -> go.Figure:
    imgs = image_stack(images)
    if imgs.size == 0:
        return empty_figure("nothing to show", height=height or 200, title=title)
    n = len(imgs)
    for what, seq in (("titles", titles), ("colors", colors)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{n} images but {len(seq)} {what}")
    grid = titled_grid(imgs, cols, captioned=titles is not None)
    fig = go.Figure(
        go.Heatmap(
            z=grid.z.astype(np.float32),  # half the payload of float64
            zmin=zmin,
            zmax=zmax,
            colorscale=colorscale,
            showscale=False,
            hoverongaps=False,
            hovertemplate="%{z:.3g}<extra></extra>",
        )
    )
    return grid_style(
        fig, grid, titles, title=title, height=height, colors=colors, caption_color="#333333"
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
    and wrong predictions. The default height follows figures.grid's height rule.
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


def pair_means_figure(mean_a, mean_b, a_name: str, b_name: str, height: int = 280) -> go.Figure:
    """Average image of a, of b (gray, shared 0..1 scale) and a − b (RdBu: blue = more a)."""
    ma, mb = np.asarray(mean_a, dtype=np.float64), np.asarray(mean_b, dtype=np.float64)
    if ma.ndim != 2 or ma.shape != mb.shape:
        raise ValueError(f"need two 2-D mean images of one shape, got {ma.shape} and {mb.shape}")
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
    diff = rdbu_heatmap(
        ma - mb,
        colorbar={"title": {"text": "difference"}, "thickness": 10},
        hovertemplate="%{z:+.2f}<extra></extra>",
    )
    fig.add_trace(diff, row=1, col=3)
    for col in (1, 2, 3):
        image_axes(fig, row=1, col=col)
    return style(fig, height=height, margin={"l": 10, "r": 10, "t": 50, "b": 10})
