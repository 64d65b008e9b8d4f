"""How the network's view of each digit forms (issue 20): sample-history stages, a pair's flip
timeline, the embedding map over epochs, the morph's probabilities, attributions side by side,
and agreement across runs. Data in, figure out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.theme import BAD, GOOD, MUTED, PALETTE, empty_figure, image_axes, style

STAGES = ("learned early", "learned late", "never learned")
STAGE_COLORS = (GOOD, "#ff7f0e", BAD)


def stage_counts(stage, labels, class_names, height: int = 320) -> go.Figure:
    """Per class, how many test samples were learned early, late, or never (stacked bars)."""
    stage, labels = np.asarray(stage), np.asarray(labels)
    k = len(class_names)
    fig = go.Figure()
    for s, (name, color) in enumerate(zip(STAGES, STAGE_COLORS, strict=True)):
        counts = np.bincount(labels[stage == s], minlength=k)[:k]
        fig.add_bar(x=list(class_names), y=counts, name=name, marker_color=color,
                    hovertemplate="%{x}: %{y} " + name + "<extra></extra>")  # fmt: skip
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(title="true class", type="category")
    fig.update_yaxes(title="test samples")
    return style(fig, height=height, title="When each class's samples were learned")


def flip_timeline(codes, samples, a_name: str, b_name: str, height: int | None = None):
    """Rows: the pair's samples ever taken for the other one; columns: epochs. Green = right,
    red = taken for the other class of the pair, grey = for a third class."""
    codes = np.asarray(codes)
    if codes.size == 0:
        return empty_figure(
            f"No {a_name} was ever taken for a {b_name}, nor the reverse.", height=height or 200
        )
    n, epochs = codes.shape
    scale = [[0, GOOD], [0.33, GOOD], [0.34, BAD], [0.66, BAD], [0.67, MUTED], [1, MUTED]]
    meaning = np.array(["right", f"taken for the other of {a_name}/{b_name}", "a third class"])
    fig = go.Figure(
        go.Heatmap(
            z=codes,
            x=np.arange(1, epochs + 1),
            y=[f"#{int(s)}" for s in samples],
            zmin=0,
            zmax=2,
            colorscale=scale,
            showscale=False,
            text=meaning[codes],
            hovertemplate="%{y}, epoch %{x}: %{text}<extra></extra>",
        )  # fmt: skip
    )
    fig.update_yaxes(autorange="reversed", type="category", title="test sample")
    fig.update_xaxes(title="epoch")
    title = f"{a_name} ↔ {b_name}: what each sample was taken for, epoch by epoch"
    return style(fig, height=height or min(900, 120 + 14 * n), title=title)


SHADES = " ░▒▓█"


def digit_text(image, max_value: float, size: int = 10) -> str:
    """A digit as text for a hover label ("<br>"-separated lines of shade characters, two per
    pixel so it looks square), shrunk to at most size x size by block averages."""
    img = np.asarray(image, np.float64) / (max_value or 1)
    h, w = img.shape
    rows = np.array_split(np.arange(h), min(size, h))
    cols = np.array_split(np.arange(w), min(size, w))
    small = np.array([[img[np.ix_(r, c)].mean() for c in cols] for r in rows])
    levels = np.clip((small * len(SHADES)).astype(int), 0, len(SHADES) - 1)
    return "<br>".join("".join(SHADES[v] * 2 for v in row) for row in levels)


def embedding_map(
    frames: list[tuple[int, np.ndarray]],
    colour: np.ndarray,
    colour_names: list[str],
    hover: list[str],
    axis_titles: tuple[str, str],
    title: str,
    height: int = 560,
) -> go.Figure:
    """One scatter per colour class; with several epochs, a slider (and play button) moves
    every point to its place at that epoch. customdata = the sample's index (for a click)."""
    if not frames:
        return empty_figure("No epoch to map.", height=height, title=title)
    colour = np.asarray(colour)
    groups = [np.flatnonzero(colour == c) for c in range(len(colour_names))]

    def traces(xy, full=True):
        out = []
        for c, idx in enumerate(groups):
            if not len(idx):
                continue
            trace = {"type": "scattergl", "x": xy[idx, 0], "y": xy[idx, 1]}
            if full:  # the frames only move the points: the rest comes once
                trace |= {
                    "mode": "markers", "name": colour_names[c], "customdata": idx,
                    "marker": {"size": 5, "color": PALETTE[c % len(PALETTE)], "opacity": 0.75},
                    "text": [hover[i] for i in idx], "hovertemplate": "%{text}<extra></extra>",
                }  # fmt: skip
            out.append(trace)
        return out

    fig = go.Figure(traces(frames[-1][1]))
    if len(frames) > 1:
        every = np.concatenate([xy for _, xy in frames])
        pad = 0.05 * (every.max(axis=0) - every.min(axis=0) + 1e-9)
        fig.update_xaxes(range=[every[:, 0].min() - pad[0], every[:, 0].max() + pad[0]])
        fig.update_yaxes(range=[every[:, 1].min() - pad[1], every[:, 1].max() + pad[1]])
        fig.frames = [go.Frame(data=traces(xy, full=False), name=str(e)) for e, xy in frames]
        steps = [
            {"label": str(e), "method": "animate",
             "args": [[str(e)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}]}
            for e, _ in frames
        ]  # fmt: skip
        fig.update_layout(
            sliders=[{"active": len(frames) - 1, "steps": steps,
                      "currentvalue": {"prefix": "epoch "}, "pad": {"t": 40}}],
            updatemenus=[{"type": "buttons", "showactive": False, "x": 0, "y": -0.12,
                          "buttons": [{"label": "▶ play", "method": "animate",
                                       "args": [None, {"frame": {"duration": 400, "redraw": True},
                                                       "fromcurrent": False}]}]}],
        )  # fmt: skip
    fig.update_xaxes(title=axis_titles[0])
    fig.update_yaxes(title=axis_titles[1])
    fig.update_layout(legend={"itemsizing": "constant"},
                      hoverlabel={"font": {"family": "DejaVu Sans Mono, monospace"}})  # fmt: skip
    return style(fig, height=height, title=title)


def morph_curves(alphas, proba, a: int, b: int, class_names, flip=None, at=None, height=320):
    """p(a), p(b) and the strongest other class along the path; the flip dashed, the slider
    position dotted."""
    alphas, proba = np.asarray(alphas), np.asarray(proba)
    others = proba.copy()
    others[:, [a, b]] = -np.inf
    other = others.max(axis=1)
    fig = go.Figure()
    for y, name, color in (
        (proba[:, a], f"p({class_names[a]})", PALETTE[0]),
        (proba[:, b], f"p({class_names[b]})", PALETTE[1]),
        (other, "p(strongest other class)", MUTED),
    ):
        fig.add_scatter(
            x=alphas, y=y, name=name, mode="lines+markers", marker={"size": 4},
            line={"color": color}, hovertemplate="%{x:.2f}: %{y:.1%}<extra></extra>",
        )  # fmt: skip
    if flip is not None:
        fig.add_vline(x=flip, line_dash="dash", line_color=BAD,
                      annotation_text="decision flips", annotation_position="top")  # fmt: skip
    if at is not None:
        fig.add_vline(x=at, line_dash="dot", line_color="#555555")
    fig.update_xaxes(title=f"from the {class_names[a]} (0) to the {class_names[b]} (1)")
    fig.update_yaxes(title="probability", range=[0, 1], tickformat=".0%")
    fig.update_layout(legend={"orientation": "h", "y": -0.3})
    return style(fig, height=height, title="What the classifier says along the way")


def attribution_maps(image, maps: list[tuple[str, np.ndarray]], height: int = 260) -> go.Figure:
    """The image, then each attribution map, side by side on one colour scale: each map divided
    by its own largest |value| (−1 red … +1 blue), so their shapes compare."""
    img = np.asarray(image, np.float64)
    fig = make_subplots(rows=1, cols=len(maps) + 1, subplot_titles=["input", *[t for t, _ in maps]],
                        horizontal_spacing=0.02)  # fmt: skip
    fig.add_trace(go.Heatmap(z=img, colorscale="gray_r", showscale=False,
                             hovertemplate="%{z:.2f}<extra></extra>"), 1, 1)  # fmt: skip
    for k, (_, m) in enumerate(maps, start=2):
        m = np.asarray(m, np.float64).reshape(img.shape)
        top = float(np.abs(m).max()) or 1.0
        fig.add_trace(
            go.Heatmap(z=m / top, zmin=-1, zmax=1, zmid=0, colorscale="RdBu",
                       showscale=k == len(maps) + 1, customdata=m,
                       colorbar={"title": {"text": "share of max"}, "thickness": 10},
                       hovertemplate="%{customdata:.3g}<extra></extra>"), 1, k,
        )  # fmt: skip
    for k in range(1, len(maps) + 2):
        image_axes(fig, 1, k)
    return style(fig, height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10})


def agreement_grid(right, run_names, samples, height: int | None = None) -> go.Figure:
    """Runs down, the chosen test samples across: green where a run gets the sample right."""
    right = np.asarray(right, bool)
    if right.size == 0:
        return empty_figure("Every run gets every test sample right.", height=height or 200)
    fig = go.Figure(
        go.Heatmap(
            z=right.astype(int),
            x=[f"#{int(s)}" for s in samples],
            y=list(run_names),
            zmin=0,
            zmax=1,
            colorscale=[[0, BAD], [0.5, BAD], [0.5, GOOD], [1, GOOD]],
            showscale=False,
            text=np.where(right, "right", "wrong"),
            xgap=1,
            ygap=1,
            hovertemplate="%{y} on %{x}: %{text}<extra></extra>",
        )  # fmt: skip
    )
    fig.update_xaxes(type="category", title="test sample (fewest runs right first)")
    fig.update_yaxes(type="category", autorange="reversed")
    height = height or 140 + 28 * len(run_names)
    return style(fig, height=height, title="Right or wrong, run by run")


def agreement_matrix_figure(matrix, run_names, height: int = 360) -> go.Figure:
    m = np.asarray(matrix, np.float64)
    fig = go.Figure(
        go.Heatmap(
            z=m,
            x=list(run_names),
            y=list(run_names),
            zmin=min(0.5, float(m.min())),
            zmax=1,
            colorscale="Blues",
            text=np.vectorize(lambda v: f"{v:.1%}")(m),
            texttemplate="%{text}",
            hovertemplate="%{y} and %{x}: same class on %{z:.1%}<extra></extra>",
        )  # fmt: skip
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return style(fig, height=height, title="How often two runs predict the same class")
