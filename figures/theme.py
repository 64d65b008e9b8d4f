"""One look for every chart: margins, font, palette, and a few shared drawing helpers.

Kept here so the figure modules stay short and every page looks the same.
"""

from __future__ import annotations

import numpy as np

# Imported here, before any figure is built: plotly checks for pandas by peeking at sys.modules,
# so a figure built in one server thread while another thread is still importing pandas (the
# Compare page does) sees a half-initialised module and fails ("no attribute 'Series'"). Seen
# in CI when a tab switched pages while its live charts were drawing.
import pandas  # noqa: F401
import plotly.graph_objects as go
from plotly.colors import qualitative

# No per-figure template: assigning one deep-copies it (~20 ms a figure, paid several times a
# second by the live Train page, in the process that trains). Charts take the active default:
# Streamlit's own theme in the dashboard.
MARGIN = {"l": 55, "r": 20, "t": 50, "b": 45}
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}
#: One colour per run, chosen by position, so a run keeps its colour across charts.
PALETTE: tuple[str, ...] = tuple(qualitative.Plotly)
ACCENT = PALETTE[0]
MUTED = "#b8bec8"
GOOD = "#2ca02c"
BAD = "#d62728"


def run_color(index: int) -> str:
    """Colour of the run at `index` in a list of runs (wraps around the palette)."""
    return PALETTE[index % len(PALETTE)]


def base_layout(*, height: int, title: str | None = None, **extra) -> dict:
    """The shared margins, font, title and legend as a plain layout dict (extras override)."""
    layout = {
        "height": height,
        "margin": MARGIN,
        "font": FONT,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left"}
    return layout | extra


def make_figure(traces: list[dict], layout: dict) -> go.Figure:
    """A figure from plain trace and layout dicts, validated once.

    Figures the live Train page redraws every second are built this way: one validation pass
    costs ~5 ms where add_trace/update_layout calls cost ~15 ms, and that time is taken from
    the training thread beside it (the GIL).
    """
    return go.Figure({"data": traces, "layout": layout})


def style(fig: go.Figure, *, height: int, title: str | None = None, **layout) -> go.Figure:
    """Apply the shared margins, font and legend; extra keyword args go to update_layout."""
    fig.update_layout(base_layout(height=height, title=title))
    if layout:
        fig.update_layout(**layout)
    return fig


def empty_figure(message: str, *, height: int, title: str | None = None) -> go.Figure:
    """A blank chart with a centred message, for 'nothing yet' states (keeps the page layout)."""
    note = {
        "text": message,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": 15, "color": "#777"},
    }
    hidden = {"visible": False}
    layout = base_layout(height=height, title=title, annotations=[note], xaxis=hidden, yaxis=hidden)
    return make_figure([], layout)


def as_float(values, name: str = "values") -> np.ndarray:
    """A 1-D float array (None -> NaN); raises ValueError for anything that is not 1-D."""
    if values is None:
        values = []
    if not isinstance(values, np.ndarray):
        values = [np.nan if v is None else v for v in values]
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def symmetric_limit(z) -> float:
    """Half-range of a colour scale centred on 0: the largest finite |z|, or 1.0 if none."""
    z = np.asarray(z, dtype=np.float64)
    finite = np.abs(z[np.isfinite(z)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def rdbu_heatmap(z, **heatmap) -> go.Heatmap:
    """z in RdBu centred on 0, on the symmetric range that covers it; heatmap: more settings."""
    z = np.asarray(z, dtype=np.float64)
    m = symmetric_limit(z)
    return go.Heatmap(z=z.astype(np.float32), zmid=0, zmin=-m, zmax=m, colorscale="RdBu", **heatmap)


def histogram_trace(values, bins, **bar) -> dict:
    """A histogram as a bar trace dict of numpy bin counts: tiny JSON even for 600k values.

    NaN and inf are dropped.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"type": "bar", "x": np.array([]), "y": np.array([]), **bar}
    counts, edges = np.histogram(v, bins=bins)
    return {
        "type": "bar",
        "x": (edges[:-1] + edges[1:]) / 2,
        "y": counts,
        "width": np.diff(edges),
        "hovertemplate": "%{x:.3g}: %{y}<extra>%{fullData.name}</extra>",
        **bar,
    }


def histogram_bar(values, bins, **bar) -> go.Bar:
    """histogram_trace as a go.Bar, for figures assembled with add_trace."""
    trace = histogram_trace(values, bins, **bar)
    trace.pop("type")
    return go.Bar(**trace)


IMAGE_AXIS = {"showticklabels": False, "showgrid": False, "zeroline": False, "ticks": ""}


def image_axes_layout(anchor: str = "x") -> dict:
    """Layout for one image: square pixels, row 0 on top, no ticks or grid."""
    return {
        "xaxis": {"constrain": "domain", **IMAGE_AXIS},
        "yaxis": {
            "autorange": "reversed",
            "constrain": "domain",
            "scaleanchor": anchor,
            **IMAGE_AXIS,
        },
    }


def image_axes(fig: go.Figure, row: int | None = None, col: int | None = None) -> go.Figure:
    """Square pixels, image orientation (row 0 on top), no ticks or grid."""
    kw = {"row": row, "col": col} if row is not None else {}
    anchor = "x" if row is None else fig.get_subplot(row, col).xaxis.plotly_name.replace("axis", "")
    fig.update_xaxes(constrain="domain", **IMAGE_AXIS, **kw)
    fig.update_yaxes(
        autorange="reversed", constrain="domain", scaleanchor=anchor, **IMAGE_AXIS, **kw
    )
    return fig
