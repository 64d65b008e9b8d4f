"""A network at a glance: one box per layer, sized by what it outputs (CNN Explainer's overview).

An image stage (channels, height, width) is a box whose height follows the image size and
whose width follows the number of channels (log scale, so 1 and 64 channels both read); a
vector stage (units,) is a thin bar whose height follows the units (log scale). Hovering a box
gives its layer, shape, parameters and multiply-adds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from figures.theme import ACCENT, MUTED, PALETTE, base_layout, empty_figure, make_figure

Stage = tuple[str, Sequence[int], int, int]  # label, shape, parameters, multiply-adds
GAP = 0.35  # between boxes, in the x axis' units


def _size(shape: Sequence[int], tallest: int, widest: int) -> tuple[float, float]:
    """(width, height) of a stage's box, both in (0, 1]-ish units."""
    if len(shape) == 3:
        channels, height, _ = shape
        return 0.25 + 0.5 * math.log2(channels) / max(1.0, math.log2(widest)), max(
            0.12, height / tallest
        )
    units = math.prod(shape)
    return 0.12, 0.12 + 0.88 * math.log(units) / max(1.0, math.log(max(units, widest, 2)))


def _shape_text(shape: Sequence[int]) -> str:
    return "×".join(str(int(n)) for n in shape)


def stack_diagram(stages: list[Stage], height: int = 260) -> go.Figure:
    """Boxes left to right, input first; `stages` as (label, shape, params, macs)."""
    if not stages:
        return empty_figure("no layers", height=height)
    images = [s for s in stages if len(s[1]) == 3]
    tallest = max((s[1][1] for s in images), default=1)
    widest = max((s[1][0] for s in images), default=1)
    widest_vector = max((math.prod(s[1]) for s in stages if len(s[1]) != 3), default=2)
    shapes, xs, ys, hover, notes = [], [], [], [], []
    x = 0.0
    for i, (label, shape, params, macs) in enumerate(stages):
        width, box = _size(shape, tallest, widest if len(shape) == 3 else widest_vector)
        color = MUTED if i == 0 else (ACCENT if len(shape) == 3 else PALETTE[1])
        shapes.append({"type": "rect", "x0": x, "x1": x + width, "y0": -box / 2, "y1": box / 2,
                       "fillcolor": color, "opacity": 0.75, "line": {"width": 1}})  # fmt: skip
        xs.append(x + width / 2)
        ys.append(0.0)
        hover.append(
            f"{label}<br>{_shape_text(shape)}<br>{params:,} parameters<br>{macs:,} multiply-adds"
        )
        # labels alternate between two rows, so neighbours' names never overlap
        text = f"{label}<br>{_shape_text(shape)}"
        notes.append({"x": x + width / 2, "y": -0.6 - 0.32 * (i % 2), "showarrow": False,
                      "text": text, "font": {"size": 10}})  # fmt: skip
        x += width + GAP
    marker = {"size": 18, "opacity": 0}
    trace = {"type": "scatter", "x": xs, "y": ys, "mode": "markers", "marker": marker,
             "hovertext": hover, "hoverinfo": "text", "showlegend": False}  # fmt: skip
    hidden = {"visible": False, "fixedrange": True}
    layout = base_layout(
        height=height,
        shapes=shapes,
        annotations=notes,
        xaxis=hidden | {"range": [-0.1, x]},
        yaxis=hidden | {"range": [-1.1, 0.6]},
        margin={"l": 4, "r": 4, "t": 8, "b": 4},
    )
    return make_figure([trace], layout)
