"""A sweep's charts: each point's curve with its seed-to-seed band, and the objective against
each swept setting (one panel per axis, log where the axis is).

Plain data in: labels, per-epoch lists of the seeds' values, per-point values. The bands are
what makes a sweep's comparison honest: two points whose bands overlap are not told apart.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.theme import base_layout, empty_figure, make_figure, run_color, style

MARKED_EPOCHS = 30  # longer curves are lines only


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def seed_bands(
    curves: dict[str, dict[int, list[float]]], y_title: str, height: int = 380
) -> go.Figure:
    """One line per point: the seeds' mean per epoch, and a band of ± one standard deviation
    where two or more seeds reached the epoch."""
    title = "Each point's curve, mean ± std over seeds"
    if not any(curves.values()):
        return empty_figure("no epoch has finished yet", height=height, title=title)
    traces = []
    for i, (label, by_epoch) in enumerate(curves.items()):
        epochs = sorted(by_epoch)
        if not epochs:
            continue
        mean = np.array([np.mean(by_epoch[e]) for e in epochs])
        std = np.array([np.std(by_epoch[e], ddof=1) if len(by_epoch[e]) > 1 else 0 for e in epochs])
        color = run_color(i)
        mode = "lines+markers" if len(epochs) <= MARKED_EPOCHS else "lines"
        if np.any(std > 0):
            traces.append({
                "type": "scatter", "x": epochs + epochs[::-1],
                "y": np.concatenate([mean + std, (mean - std)[::-1]]),
                "fill": "toself", "fillcolor": _rgba(color, 0.18), "line": {"width": 0},
                "hoverinfo": "skip", "showlegend": False, "legendgroup": label,
            })  # fmt: skip
        traces.append({
            "type": "scatter", "mode": mode, "x": epochs, "y": mean, "name": label,
            "line": {"color": color}, "legendgroup": label,
            "customdata": np.stack([std, [len(by_epoch[e]) for e in epochs]], axis=1),
            "hovertemplate": "%{fullData.name}<br>epoch %{x}: %{y:.4g} ± %{customdata[0]:.2g}"
            " (%{customdata[1]} seeds)<extra></extra>",
        })  # fmt: skip
    layout = base_layout(
        height=height, title=title, xaxis={"title": {"text": "epoch"}},
        yaxis={"title": {"text": y_title}},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},  # long point names
    )  # fmt: skip
    return make_figure(traces, layout)


def objective_by_setting(
    axes: list[dict], points: list[dict], y_title: str, height: int = 340
) -> go.Figure:
    """One panel per axis: every finished seed as a dot and the point's mean ± std.

    axes: [{"name", "log", "numeric"}]; points: [{"values": {axis: plotted value}, "seeds":
    [objective per seed]}]. A list axis is categorical; a log range gets a log x axis."""
    title = "The objective against each setting"
    done = [p for p in points if p["seeds"]]
    if not done or not axes:
        return empty_figure("no point has finished yet", height=height, title=title)
    fig = make_subplots(rows=1, cols=len(axes), shared_yaxes=True, horizontal_spacing=0.06)
    for col, axis in enumerate(axes, start=1):
        name = axis["name"]
        xs = [p["values"][name] for p in done]
        seeds = [p["seeds"] for p in done]
        dots_x = [x for x, s in zip(xs, seeds, strict=True) for _ in s]
        dots_y = [v for s in seeds for v in s]
        fig.add_trace(
            go.Scatter(x=dots_x, y=dots_y, mode="markers", name="a seed", showlegend=col == 1,
                       marker={"size": 6, "color": run_color(1), "opacity": 0.5}),
            row=1, col=col,
        )  # fmt: skip
        means = [float(np.mean(s)) for s in seeds]
        stds = [float(np.std(s, ddof=1)) if len(s) > 1 else 0.0 for s in seeds]
        fig.add_trace(
            go.Scatter(x=xs, y=means, mode="markers", name="point mean ± std",
                       showlegend=col == 1, marker={"size": 10, "color": run_color(0),
                       "symbol": "diamond"}, error_y={"type": "data", "array": stds}),
            row=1, col=col,
        )  # fmt: skip
        kind = "log" if axis.get("log") else ("linear" if axis.get("numeric") else "category")
        fig.update_xaxes(type=kind, title_text=name, row=1, col=col)
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    return style(fig, height=height, title=title)
