"""Titled grids: many small images or heatmaps laid into one array, a caption above each tile.

One heatmap of one big array draws far faster in the browser than a subplot per tile. Every
builder that shows tiles (image grids, mean images, saliency tiles, receptive fields) places,
captions and sizes them here, so a tile looks the same on every page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from figures.theme import image_axes, style

#: The height rule: screen pixels per image pixel, and the bounds of a grid figure's height.
PX_PER_PIXEL = 2.5
MIN_HEIGHT, MAX_HEIGHT = 200, 1400


def image_stack(images) -> np.ndarray:
    """Images as one (N, H, W) float64 array; empty input stays empty, other shapes raise."""
    imgs = np.asarray(images, dtype=np.float64)
    if imgs.size and imgs.ndim != 3:
        raise ValueError(f"images must be (N, H, W), got shape {imgs.shape}")
    return imgs


def tile_grid(images, cols: int, gutter: int = 1, fill: float = np.nan) -> np.ndarray:
    """Lay (N, H, W) images row by row into one 2-D array with `gutter`-pixel `fill` gaps.

    The result is float (so NaN gaps show as transparent); N = 0 gives a (0, 0) array.
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


@dataclass(frozen=True)
class TitledGrid:
    """Tiles in one array `z`, each with a blank `band` of rows above it for its caption."""

    z: np.ndarray
    n: int
    h: int
    w: int
    band: int
    cols: int

    @property
    def rows(self) -> int:
        return math.ceil(self.n / self.cols)

    def corner(self, i: int) -> tuple[float, float]:
        """Top-left corner of tile i in data coordinates (the caption sits on top of it)."""
        r, c = divmod(i, self.cols)
        return c * (self.w + 1) - 0.5, r * (self.h + self.band + 1) + self.band - 0.5

    def height(self, title: bool) -> int:
        """The one height rule: PX_PER_PIXEL screen pixels per image pixel, within bounds."""
        auto = 20 + (50 if title else 10) + self.rows * (self.h + self.band + 1) * PX_PER_PIXEL
        return int(min(MAX_HEIGHT, max(MIN_HEIGHT, auto)))


def titled_grid(tiles, cols: int, captioned: bool = True) -> TitledGrid:
    """(N, H, W) tiles (N >= 1) in at most `cols` columns, with caption bands if `captioned`."""
    n, h, w = tiles.shape
    cols = max(1, min(cols, n))
    band = math.ceil(0.4 * h) if captioned else 0
    padded = np.concatenate([np.full((n, band, w), np.nan), tiles], axis=1)
    return TitledGrid(tile_grid(padded, cols), n, h, w, band, cols)


def grid_style(
    fig: go.Figure,
    grid: TitledGrid,
    titles=None,
    *,
    title: str | None = None,
    height: int | None = None,
    colors=None,
    caption_color: str | None = None,
) -> go.Figure:
    """Image axes, tight margins, the height rule, a caption per tile (`titles`) and, with
    `colors`, coloured captions and tile outlines (e.g. right/wrong predictions)."""
    shapes, notes = [], []  # passed to the layout at once: add_annotation per tile is O(n²)
    for i in range(grid.n):
        x0, y0 = grid.corner(i)
        color = colors[i] if colors is not None else caption_color
        if titles is not None:
            font = {"size": 11} if color is None else {"size": 11, "color": color}
            note = {"x": x0 + grid.w / 2, "y": y0, "text": str(titles[i]), "showarrow": False}
            notes.append({**note, "yanchor": "bottom", "font": font})
        if colors is not None:
            box = {"x0": x0, "x1": x0 + grid.w, "y0": y0, "y1": y0 + grid.h}
            shapes.append({"type": "rect", **box, "line": {"color": color, "width": 2}})
    image_axes(fig)
    margin = {"l": 10, "r": 10, "t": 50 if title else 10, "b": 10}
    return style(
        fig,
        height=height or grid.height(bool(title)),
        title=title,
        shapes=shapes,
        annotations=notes,
        margin=margin,
    )
