"""Explaining predictions: class probabilities, saliency (one sample or a grid of them), class
margins, hidden activations."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import diverging, unlabel_rgb
from plotly.subplots import make_subplots

from figures.grid import grid_style, image_stack, titled_grid
from figures.theme import (
    ACCENT,
    BAD,
    GOOD,
    MUTED,
    empty_figure,
    histogram_bar,
    image_axes,
    style,
    symmetric_limit,
)


def probability_bars(proba, class_names, true_class=None, height: int = 260) -> go.Figure:
    """One sample's class probabilities; the prediction is highlighted, the true class marked.

    Colours: prediction blue (green if right, red if wrong); true class green when it differs.
    """
    p = np.asarray(proba, dtype=np.float64).ravel()
    names = [str(c) for c in class_names]
    if len(p) != len(names):
        raise ValueError(f"{len(names)} classes but {len(p)} probabilities")
    if len(p) == 0 or not np.isfinite(p).any():
        return empty_figure("no prediction", height=height, title="Class probabilities")
    if true_class is not None and not 0 <= true_class < len(p):
        raise ValueError(f"true_class {true_class} is not one of {len(p)} classes")
    pred = int(np.nanargmax(p))
    colors = [MUTED] * len(p)
    colors[pred] = ACCENT if true_class is None else (GOOD if pred == true_class else BAD)
    title = f"Predicted {names[pred]} ({p[pred]:.1%})"
    fig = go.Figure()
    if true_class is not None:
        colors[true_class] = GOOD
        title += f", true {names[true_class]}"
        fig.add_annotation(
            x=names[true_class],
            y=1.13,
            yanchor="bottom",
            text="true",
            showarrow=False,
            font={"color": GOOD, "size": 12},
        )
    text = [f"{v:.0%}" if v >= 0.005 else "" for v in np.nan_to_num(p)]
    fig.add_bar(
        x=names,
        y=p,
        marker={"color": colors},
        text=text,
        textposition="outside",
        hovertemplate="%{x}: %{y:.2%}<extra></extra>",
        cliponaxis=False,
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, 1.25], tickformat=".0%", title="probability")
    return style(fig, height=height, title=title, showlegend=False)


def _fading_rdbu() -> list[list]:
    """RdBu whose middle is transparent, so the digit shows through where saliency is ~0."""
    colors = diverging.RdBu
    scale = []
    for i, c in enumerate(colors):
        t = i / (len(colors) - 1)
        r, g, b = unlabel_rgb(c)
        scale.append([t, f"rgba({r:.0f},{g:.0f},{b:.0f},{0.9 * abs(2 * t - 1) ** 0.7:.3f})"])
    return scale


def _under_saliency(image, saliency, top: float, limit: float, **saliency_trace) -> go.Figure:
    """Trace 0: the image in gray (0..top); trace 1: over it, the saliency in fading RdBu
    centred on 0 (-limit..limit). saliency_trace: more settings of the saliency trace."""
    return go.Figure(
        [
            go.Heatmap(
                z=image.astype(np.float32),
                zmin=0,
                zmax=top,
                colorscale="gray_r",
                showscale=False,
                hoverinfo="skip",
            ),
            go.Heatmap(
                z=saliency.astype(np.float32),
                zmid=0,
                zmin=-limit,
                zmax=limit,
                colorscale=_fading_rdbu(),
                **saliency_trace,
            ),
        ]
    )


def saliency_overlay(image, saliency, title: str | None = None, height: int = 260) -> go.Figure:
    """The digit in gray under its saliency (diverging RdBu, centred on 0, symmetric range).

    Trace 0 is the image, trace 1 the saliency; `saliency` may be flat (same number of pixels).
    """
    img = np.asarray(image, dtype=np.float64)
    sal = np.asarray(saliency, dtype=np.float64)
    if img.ndim != 2 or sal.size != img.size:
        raise ValueError(
            f"need a 2-D image and saliency of the same size: {img.shape}, {sal.shape}"
        )
    sal = sal.reshape(img.shape)
    top = float(np.nanmax(img)) if np.isfinite(img).any() and np.nanmax(img) > 0 else 1.0
    fig = _under_saliency(
        img,
        sal,
        top,
        symmetric_limit(sal),
        colorbar={"title": {"text": "saliency"}, "thickness": 10},
        hovertemplate="saliency %{z:.3g}<extra></extra>",
    )
    image_axes(fig)
    return style(
        fig, height=height, title=title or "Saliency", margin={"l": 10, "r": 10, "t": 40, "b": 10}
    )


def saliency_tiles(
    images,
    saliencies,
    titles,
    cols: int = 6,
    max_value: float = 255,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Digits in gray under their saliency, one captioned tile each, as one figure.

    Each tile's saliency is divided by its own largest |value| (shapes compare across tiles,
    sizes do not): blue pixels raise the first logit of the pair, red ones the second.
    Trace 0 is the images, trace 1 the saliencies.
    """
    imgs = image_stack(images)
    if imgs.size == 0:
        return empty_figure("no such sample", height=height or 200, title=title)
    n, h, w = imgs.shape
    sal = np.asarray(saliencies, dtype=np.float64).reshape(n, h, w)
    if len(titles) != n:
        raise ValueError(f"{n} images but {len(titles)} titles")
    peak = np.abs(sal).reshape(n, -1).max(axis=1)
    sal = sal / np.where(peak > 0, peak, 1.0)[:, None, None]
    grid = titled_grid(imgs, cols)
    fig = _under_saliency(
        grid.z,
        titled_grid(sal, cols).z,
        max_value,
        1,
        showscale=False,
        hoverongaps=False,
        hovertemplate="saliency %{z:+.2f} of the tile's largest<extra></extra>",
    )
    return grid_style(fig, grid, titles, title=title, height=height)


def margin_histogram(
    margins_a, margins_b, a_name: str, b_name: str, bins: int = 40, height: int = 300
) -> go.Figure:
    """Margins (logit a − logit b) of true-a and true-b samples on shared bins; 0 = the boundary."""
    a = np.asarray(margins_a, dtype=np.float64).ravel()
    b = np.asarray(margins_b, dtype=np.float64).ravel()
    both = np.concatenate([a, b])
    both = both[np.isfinite(both)]
    title = f"Margin between {a_name} and {b_name}"
    if both.size == 0:
        return empty_figure("no samples of these classes", height=height, title=title)
    edges = np.histogram_bin_edges(both, bins=bins)
    fig = go.Figure(
        [
            histogram_bar(a, edges, name=f"true {a_name}", marker={"color": ACCENT}, opacity=0.6),
            histogram_bar(b, edges, name=f"true {b_name}", marker={"color": BAD}, opacity=0.6),
        ]
    )
    fig.add_vline(x=0, line={"color": "#333333", "dash": "dash", "width": 1})
    fig.update_xaxes(title=f"logit {a_name} − logit {b_name}")
    fig.update_yaxes(title="samples")
    return style(fig, height=height, title=title, barmode="overlay", bargap=0)


def activation_bars(activations: list[np.ndarray], height: int = 260) -> go.Figure:
    """One sample's hidden activations, one bar panel per layer (`height` is per panel)."""
    acts = [np.asarray(a, dtype=np.float64).ravel() for a in activations]
    if not acts:
        return empty_figure("no hidden layers", height=height, title="Hidden activations")
    titles = [f"hidden layer {i + 1} · {len(a)} units" for i, a in enumerate(acts)]
    fig = make_subplots(rows=len(acts), cols=1, subplot_titles=titles, vertical_spacing=0.12)
    for i, a in enumerate(acts):
        colors = np.where(a < 0, BAD, ACCENT)
        fig.add_bar(
            x=np.arange(len(a)),
            y=a,
            marker={"color": colors},
            name=titles[i],
            hovertemplate="unit %{x}: %{y:.3g}<extra></extra>",
            row=i + 1,
            col=1,
        )
    fig.update_xaxes(title_text="unit", row=len(acts), col=1)
    return style(fig, height=height * len(acts), title="Hidden activations", showlegend=False)
