"""Reading a click on a confusion matrix back out of st.plotly_chart's selection state.

The click layers in figures.confusion carry customdata [true, pred] (or [true, pred, which]).
Streamlit returns {"selection": {"points": [{"x", "y", "customdata", "point_index", ...}]}};
2-D customdata may come back per point as a list or as a dict {"0": t, "1": p}.
"""

from __future__ import annotations

from collections.abc import Mapping


def as_index(v) -> int | None:
    """A non-negative integer from an int, an integral float or a digit string; else None."""
    if isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() and f >= 0 else None


def _first_point(selection) -> Mapping | None:
    """The first selected point of st.plotly_chart's selection state, else None."""
    if not isinstance(selection, Mapping):
        return None
    inner = selection.get("selection", selection)
    points = inner.get("points") if isinstance(inner, Mapping) else None
    if not isinstance(points, list | tuple) or not points or not isinstance(points[0], Mapping):
        return None
    return points[0]


def _point_ints(selection, n: int) -> tuple[int, ...] | None:
    """The first n customdata values of the first selected point, as ints (None if unusable)."""
    point = _first_point(selection)
    if point is None:
        return None
    data = point.get("customdata")
    if isinstance(data, Mapping):  # 2-D customdata may arrive as {"0": t, "1": p}
        data = [data.get(str(i), data.get(i)) for i in range(n)]
    if data is None and n == 2:  # no customdata: fall back to the coordinates (x = pred)
        data = [point.get("y"), point.get("x")]
    if not isinstance(data, list | tuple) or len(data) < n:
        return None
    values = tuple(as_index(v) for v in data[:n])
    return None if None in values else values


def cell_from_selection(selection) -> tuple[int, int] | None:
    """(true, pred) of the clicked cell from st.plotly_chart's selection state, else None."""
    return _point_ints(selection, 2)


def diff_cell_from_selection(selection) -> tuple[int, int, int] | None:
    """(true, pred, which) of a click on `diff_matrix_figure` (which: 0 fixed, 1 introduced)."""
    return _point_ints(selection, 3)


def sample_from_selection(selection) -> int | None:
    """The test-sample index (customdata) of the first clicked point of a map, else None."""
    point = _first_point(selection)
    if point is None:
        return None
    data = point.get("customdata")
    if isinstance(data, list | tuple):
        data = data[0] if data else None
    elif isinstance(data, Mapping):
        data = data.get("0", data.get(0))
    return as_index(data)
