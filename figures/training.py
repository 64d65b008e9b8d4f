"""Training-progress charts: loss, accuracy, learning rate, and run-vs-run overlays."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import plotly.graph_objects as go

from figures.theme import (
    ACCENT,
    BAD,
    as_float,
    base_layout,
    empty_figure,
    make_figure,
    run_color,
    style,
)

_METRIC_LABELS = {
    "train_loss": "training loss",
    "val_loss": "validation loss",
    "train_acc": "training accuracy (%)",
    "val_acc": "validation accuracy (%)",
    "test_acc": "test accuracy (%)",
}


def smooth(values, weight: float) -> np.ndarray:
    """Debiased exponential moving average, like TensorBoard's smoothing slider.

    Debiasing keeps the first points from being dragged towards 0. Non-finite values are
    skipped: they stay NaN in the output and do not disturb the average.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    v = as_float(values)
    out = [math.nan] * len(v)
    last, n = 0.0, 0
    for i, x in enumerate(v.tolist()):  # plain floats: ~10x faster than numpy scalars
        if math.isfinite(x):
            last = last * weight + (1 - weight) * x
            n += 1
            out[i] = last / (1 - weight**n)
    return np.array(out, dtype=np.float64)


def _thin(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Every k-th point (always keeping the last) so a long run stays light in the browser."""
    if max_points <= 0 or len(x) <= max_points:
        return x, y
    step = int(np.ceil(len(x) / max_points))
    idx = np.unique(np.r_[np.arange(0, len(x), step), len(x) - 1])
    return x[idx], y[idx]


def _pair(x, y, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Equal-length float arrays; inf (a diverged run) becomes NaN, i.e. a gap in the line."""
    x, y = as_float(x, what), as_float(y, what)
    if len(x) != len(y):
        raise ValueError(f"{what}: {len(x)} x values but {len(y)} y values")
    return x, np.where(np.isinf(y), np.nan, y)


def _line(x, y, name, color, *, width=2, dash="solid", markers=False, fmt=".4g", **kw) -> dict:
    """A scatter trace dict: a line, with markers for per-epoch values."""
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "name": name,
        "mode": "lines+markers" if markers else "lines",
        "line": {"color": color, "width": width, "dash": dash},
        "hovertemplate": "%{x}: %{y:" + fmt + "}<extra>" + name + "</extra>",
        **kw,
    }


def loss_curve(
    batch_steps,
    batch_losses,
    epoch_steps=None,
    train_epoch_loss=None,
    val_epoch_loss=None,
    smoothing: float = 0.9,
    height: int = 320,
    log_y: bool = False,
    max_points: int = 5000,
) -> go.Figure:
    """Per-batch loss (faint), its smoothed trend, and per-epoch train/val loss at epoch ends.

    Traces in order: "batch loss", "smoothed", then "train (epoch)" / "validation (epoch)" when
    given (x = epoch_steps). Smoothing uses every batch; only the display is thinned to
    `max_points`.
    """
    steps, losses = _pair(batch_steps, batch_losses, "batch loss")
    if len(steps) == 0 and (epoch_steps is None or len(epoch_steps) == 0):
        return empty_figure("no training steps yet", height=height, title="Loss")
    traces = [
        _line(*_thin(steps, losses, max_points), "batch loss", ACCENT, width=1, opacity=0.3),
        _line(*_thin(steps, smooth(losses, smoothing), max_points), "smoothed", ACCENT),
    ]
    epoch_x = [] if epoch_steps is None else epoch_steps
    for name, vals, color in (
        ("train (epoch)", train_epoch_loss, "#333333"),
        ("validation (epoch)", val_epoch_loss, BAD),
    ):
        if vals is not None:
            traces.append(_line(*_pair(epoch_x, vals, name), name, color, markers=True))
    layout = base_layout(
        height=height,
        title="Loss",
        xaxis={"title": {"text": "batch"}},
        yaxis={"title": {"text": "loss"}, "type": "log" if log_y else "linear"},
    )
    return make_figure(traces, layout)


def _percent_range(series: list[np.ndarray]) -> list[float]:
    """From a round number a little below the worst value up to just above 100 %."""
    vals = np.concatenate(series) if series else np.array([])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return [0.0, 100.5]
    lo = max(0.0, np.floor((vals.min() - 2) / 5) * 5)
    return [float(min(lo, 95.0)), float(max(100.5, vals.max() + 0.5))]


def accuracy_curve(epochs, train_acc, val_acc, test_acc=None, height: int = 320) -> go.Figure:
    """Accuracy per epoch in percent (inputs are fractions); y starts just below the worst value.

    A series passed as None is left out; traces are named "train", "validation", "test".
    """
    ep = as_float(epochs, "epochs")
    if len(ep) == 0:
        return empty_figure("no finished epochs yet", height=height, title="Accuracy")
    traces, shown = [], []
    for name, vals, color, dash in (
        ("train", train_acc, "#333333", "dot"),
        ("validation", val_acc, ACCENT, "solid"),
        ("test", test_acc, BAD, "dash"),
    ):
        if vals is not None:
            x, y = _pair(ep, vals, name)
            shown.append(100 * y)
            traces.append(_line(x, 100 * y, name, color, dash=dash, markers=True, fmt=".2f"))
    layout = base_layout(
        height=height,
        title="Accuracy",
        xaxis={"title": {"text": "epoch"}, "tickformat": "d"},
        yaxis={"title": {"text": "accuracy (%)"}, "range": _percent_range(shown)},
    )
    return make_figure(traces, layout)


def lr_curve(steps, lrs, height: int = 200) -> go.Figure:
    """The learning rate the schedule actually used, per batch."""
    x, y = _pair(steps, lrs, "learning rate")
    if len(x) == 0:
        return empty_figure("no steps yet", height=height, title="Learning rate")
    layout = base_layout(
        height=height,
        title="Learning rate",
        showlegend=False,
        xaxis={"title": {"text": "batch"}},
        yaxis={"title": {"text": "learning rate"}, "exponentformat": "e", "rangemode": "tozero"},
    )
    return make_figure([_line(x, y, "learning rate", ACCENT, fmt=".3g")], layout)


def compare_curves(runs: list[dict], metric: str, height: int = 360) -> go.Figure:
    """One line per run for `metric` (accuracies in %), colour chosen by position in `runs`.

    Runs without that metric are skipped but keep their colour slot, so colours match across
    charts of the same run list.
    """
    label = _METRIC_LABELS.get(metric, metric.replace("_", " "))
    title = label[0].upper() + label[1:]
    traces = []
    for i, run in enumerate(runs):
        if run.get(metric) is None or len(run[metric]) == 0:
            continue
        name = str(run.get("name", f"run {i + 1}"))
        x, y = _pair(run.get("epochs", []), run[metric], f"{name} {metric}")
        y = 100 * y if metric.endswith("acc") else y
        traces.append(_line(x, y, name, run_color(i), markers=True, legendgroup=name))
    if not traces:
        return empty_figure("no runs to compare", height=height, title=title)
    layout = base_layout(
        height=height,
        title=title,
        xaxis={"title": {"text": "epoch"}, "tickformat": "d"},
        yaxis={"title": {"text": label}},
    )
    return make_figure(traces, layout)


def _dimension(rows: list[dict], key: str) -> dict:
    """A Parcoords axis: numbers as they are, anything else as sorted category codes."""
    vals = [r[key] for r in rows]
    if all(isinstance(v, Real) and not isinstance(v, bool | np.bool_) for v in vals):
        return {"label": key, "values": np.asarray(vals, dtype=np.float64)}
    cats = sorted({str(v) for v in vals})
    codes = np.array([cats.index(str(v)) for v in vals])
    span = [-0.25, len(cats) - 0.75] if len(cats) > 1 else [-1, 1]
    ticks = list(range(len(cats)))
    return {"label": key, "values": codes, "tickvals": ticks, "ticktext": cats, "range": span}


def parallel_coordinates(
    rows: list[dict],
    dimensions: list[str],
    color_key: str = "test_acc",
    height: int = 380,
    title: str = "Runs by hyper-parameter",
) -> go.Figure:
    """Hyper-parameters against the result, one line per finished run, coloured by `color_key`.

    Strings and bools become integer codes with the names as tick labels. Runs missing a
    dimension or the colour value are left out (the title then says how many are shown).
    """
    usable = [r for r in rows if all(r.get(k) is not None for k in [*dimensions, color_key])]
    if not usable:
        msg = "no finished runs yet" if not rows else "no run has all of these values"
        return empty_figure(msg, height=height, title=title)
    color = np.asarray([r[color_key] for r in usable], dtype=np.float64)
    bar = {"title": {"text": color_key}}
    line = {"color": color, "colorscale": "Viridis", "showscale": True, "colorbar": bar}
    fig = go.Figure(go.Parcoords(dimensions=[_dimension(usable, k) for k in dimensions], line=line))
    if len(usable) < len(rows):
        title += f" ({len(usable)} of {len(rows)} runs have every value)"
    return style(fig, height=height, title=title, margin={"l": 60, "r": 60, "t": 90, "b": 30})
