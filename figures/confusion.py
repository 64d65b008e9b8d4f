"""Confusion matrices that can be clicked, run-vs-run difference matrices, confusion timelines.

Clicks: in Streamlit 1.67 a go.Heatmap never produces a selection, so every matrix here gets an
invisible go.Scatter of square markers, one per cell, laid over the heatmap, with
customdata = [true, pred] (diff matrices: [true, pred, change]). Axis ranges are fixed and zoom
is off so a click always lands on the cell under the cursor. Read a click back with
`figures.selection.cell_from_selection` / `diff_cell_from_selection`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.selection import as_index
from figures.theme import ACCENT, BAD, GOOD, empty_figure, style

_MARGIN = {"l": 70, "r": 20, "t": 70, "b": 60}


def _square_matrix(cm, k: int, what: str) -> np.ndarray:
    m = np.asarray(cm, dtype=np.float64)
    if m.shape != (k, k):
        raise ValueError(f"{what} must be ({k}, {k}) for {k} class names, got {m.shape}")
    return m


def _cell_text(values: np.ndarray, percent: bool) -> np.ndarray:
    """Cell labels; zero cells are left blank so the mistakes stand out."""
    fmt = "{:.1f}" if percent else "{:.0f}"
    return np.array([["" if v == 0 else fmt.format(v) for v in row] for row in values])


def _click_layer(k: int, height: int, hover: np.ndarray, change: int | None = None) -> go.Scatter:
    """Invisible square markers, one per cell; a click selects the point (customdata)."""
    true, pred = np.divmod(np.arange(k * k), k)
    data = [true, pred] if change is None else [true, pred, np.full(k * k, change)]
    cell_px = max(4.0, (height - _MARGIN["t"] - _MARGIN["b"]) / k)
    return go.Scatter(
        x=pred,
        y=true,
        customdata=np.column_stack(data),
        mode="markers",
        marker={"symbol": "square", "size": cell_px, "color": "black"},
        opacity=0,
        text=hover.ravel(),
        hovertemplate="%{text}<extra></extra>",
        showlegend=False,
    )


def _class_axes(fig: go.Figure, k: int, names: list[str], row=None, col=None) -> None:
    """Numeric 0..K-1 axes labelled with class names, fixed ranges, square cells, no zoom."""
    kw = {"row": row, "col": col} if row is not None else {}
    ticks = {"tickvals": list(range(k)), "ticktext": names, "fixedrange": True, "showgrid": False}
    fig.update_xaxes(
        title_text="predicted", range=[-0.5, k - 0.5], constrain="domain", **ticks, **kw
    )
    fig.update_yaxes(title_text="true", range=[k - 0.5, -0.5], constrain="domain", **ticks, **kw)
    x_name = "x" if row is None else fig.get_subplot(row, col).xaxis.plotly_name.replace("axis", "")
    fig.update_yaxes(scaleanchor=x_name, **kw)


def _cell_rect(t: int, p: int, color: str, width: float) -> dict:
    box = {"x0": p - 0.5, "x1": p + 0.5, "y0": t - 0.5, "y1": t + 0.5}
    return {"type": "rect", **box, "line": {"color": color, "width": width}}


def _hover(names: list[str], text) -> np.ndarray:
    """A K x K array of hover strings, text(t, p) for each cell."""
    return np.array([[text(t, p) for p in range(len(names))] for t in range(len(names))])


def _heatmap(z: np.ndarray, scale: str, zmax: float, percent: bool = False, **kw) -> go.Heatmap:
    k = len(z)
    return go.Heatmap(
        z=z,
        x=np.arange(k),
        y=np.arange(k),
        zmin=0,
        zmax=zmax,
        colorscale=scale,
        text=_cell_text(z, percent),
        texttemplate="%{text}",
        hoverinfo="skip",
        textfont={"size": 12 if k <= 12 else 9},
        **kw,
    )


def confusion_matrix_figure(
    cm,
    class_names: list[str],
    normalize: bool = False,
    title: str | None = None,
    height: int = 480,
    highlight: tuple[int, int] | None = None,
) -> go.Figure:
    """Clickable confusion matrix: rows = true class, columns = predicted class.

    Trace 0 is the heatmap (counts, or % of each true class when `normalize`); trace 1 is the
    invisible click layer whose customdata is [true, pred]. The colour scale tops out at the
    largest off-diagonal cell so mistakes are visible; diagonal cells are outlined in green.
    `highlight=(true, pred)` draws a box around that cell (ignored if out of range).
    """
    names = [str(c) for c in class_names]
    k = len(names)
    counts = _square_matrix(cm, k, "cm")
    total, correct = counts.sum(), np.trace(counts)
    if title is None:
        acc = f" ({correct / total:.1%})" if total else ""
        title = f"Confusion matrix: {correct:,.0f} of {total:,.0f} right{acc}"
    if k == 0:
        return empty_figure("no classes", height=height, title=title)
    rows = counts.sum(axis=1, keepdims=True)
    pct = np.divide(100 * counts, rows, out=np.zeros_like(counts), where=rows > 0)
    z = pct if normalize else counts
    off = z[~np.eye(k, dtype=bool)]
    zmax = float(off.max()) if off.size and off.max() > 0 else float(max(z.max(), 1))
    hover = _hover(
        names,
        lambda t, p: (
            f"true {names[t]} → predicted {names[p]}<br>"
            f"{counts[t, p]:,.0f} samples ({pct[t, p]:.1f}% of true {names[t]})"
        ),
    )
    bar = {"title": {"text": "% of row" if normalize else "count"}, "thickness": 12}
    heat = _heatmap(z, "Blues", zmax, normalize, colorbar=bar)
    fig = go.Figure([heat, _click_layer(k, height, hover)])
    _class_axes(fig, k, names)
    shapes = [_cell_rect(i, i, GOOD, 1.5) for i in range(k)]
    cell = [as_index(v) for v in highlight] if highlight is not None else []
    if len(cell) == 2 and all(v is not None and v < k for v in cell):
        shapes.append(_cell_rect(cell[0], cell[1], "#ff7f0e", 4))
    layout = {"dragmode": False, "hovermode": "closest", "margin": _MARGIN}
    return style(fig, height=height, title=title, shapes=shapes, **layout)


def diff_matrix_figure(fixed, introduced, class_names: list[str], height: int = 420) -> go.Figure:
    """Run A vs run B: mistakes B fixed (greens, left) and mistakes B introduced (reds, right).

    Traces: [fixed heatmap, fixed click layer, introduced heatmap, introduced click layer];
    click layers carry customdata [true, pred, change] with change = 0 (fixed) or 1 (introduced).
    Both panels share one colour range so their shades compare.
    """
    names = [str(c) for c in class_names]
    k = len(names)
    mats = [_square_matrix(fixed, k, "fixed"), _square_matrix(introduced, k, "introduced")]
    labels = ["fixed by B", "introduced by B"]
    titles = [f"{lab} ({m.sum():,.0f})" for lab, m in zip(labels, mats, strict=True)]
    if k == 0:
        return empty_figure("no classes", height=height, title=" · ".join(titles))
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.12)
    zmax = float(max(1.0, mats[0].max(), mats[1].max()))
    for change, (m, scale, lab) in enumerate(zip(mats, ["Greens", "Reds"], labels, strict=True)):
        heat = _heatmap(m, scale, zmax, showscale=False)
        who = "A said" if change == 0 else "B says"
        hover = _hover(
            names,
            lambda t, p, m=m, lab=lab, who=who: (
                f"{lab}: true {names[t]}, {who} {names[p]}<br>{m[t, p]:,.0f} samples"
            ),
        )
        fig.add_trace(heat, row=1, col=change + 1)
        fig.add_trace(_click_layer(k, height, hover, change), row=1, col=change + 1)
        _class_axes(fig, k, names, row=1, col=change + 1)
    layout = {"dragmode": False, "hovermode": "closest", "margin": _MARGIN}
    return style(fig, height=height, **layout)


def confusion_timeline(
    epochs, a_to_b, b_to_a, a_name: str, b_name: str, height: int = 300
) -> go.Figure:
    """How often a is taken for b (and b for a) after each epoch: does a confusion fade?"""
    ep = np.asarray(epochs, dtype=np.float64)
    ab, ba = np.asarray(a_to_b, dtype=np.float64), np.asarray(b_to_a, dtype=np.float64)
    if not len(ep) == len(ab) == len(ba):
        raise ValueError(f"lengths differ: {len(ep)} epochs, {len(ab)} and {len(ba)} counts")
    title = f"{a_name} ↔ {b_name} mistakes per epoch"
    if len(ep) == 0:
        return empty_figure("no finished epochs yet", height=height, title=title)
    fig = go.Figure()
    for y, src, dst, color in ((ab, a_name, b_name, ACCENT), (ba, b_name, a_name, BAD)):
        name = f"true {src} → predicted {dst}"
        fig.add_scatter(
            x=ep,
            y=y,
            name=name,
            mode="lines+markers",
            line={"color": color},
            hovertemplate="epoch %{x}: %{y:.0f}<extra>" + name + "</extra>",
        )
    fig.update_xaxes(title="epoch", tickformat="d")
    fig.update_yaxes(title="errors", rangemode="tozero")
    return style(fig, height=height, title=title)
