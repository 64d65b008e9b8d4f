"""figures.confusion: the clickable confusion matrix, selection parsing, diff matrix, timeline."""

import numpy as np
import plotly.graph_objects as go
import pytest

from figures import (
    cell_from_selection,
    confusion_matrix_figure,
    confusion_timeline,
    diff_cell_from_selection,
    diff_matrix_figure,
)

NAMES = ["T-shirt", "Trouser", "Pullover"]
CM = np.array([[50, 3, 0], [1, 60, 2], [7, 0, 40]])


def test_confusion_matrix_heatmap_then_click_layer():
    fig = confusion_matrix_figure(CM, NAMES)
    heat, click = fig.data
    assert isinstance(heat, go.Heatmap) and isinstance(click, go.Scatter)
    np.testing.assert_array_equal(np.asarray(heat.z), CM)
    assert heat.text[0][2] == "" and heat.text[2][0] == "7" and heat.text[1][1] == "60"
    assert heat.zmax == 7  # colour tops out at the worst off-diagonal cell
    assert heat.hoverinfo == "skip"


def test_click_layer_has_one_invisible_square_per_cell_with_true_pred_customdata():
    fig = confusion_matrix_figure(CM, NAMES, height=480)
    click = fig.data[1]
    x, y, cd = np.asarray(click.x), np.asarray(click.y), np.asarray(click.customdata)
    assert len(x) == 9 and cd.shape == (9, 2)
    np.testing.assert_array_equal(cd[:, 0], y)  # true = y
    np.testing.assert_array_equal(cd[:, 1], x)  # pred = x
    assert {(int(t), int(p)) for t, p in cd} == {(t, p) for t in range(3) for p in range(3)}
    assert click.opacity == 0 and click.marker.symbol == "square"
    assert click.marker.size == pytest.approx((480 - 70 - 60) / 3)  # about one cell
    i = int(np.flatnonzero((cd[:, 0] == 2) & (cd[:, 1] == 0))[0])
    assert "true Pullover → predicted T-shirt" in click.text[i] and "7 samples" in click.text[i]


def test_confusion_axes_are_fixed_numeric_reversed_and_not_zoomable():
    fig = confusion_matrix_figure(CM, NAMES)
    xa, ya = fig.layout.xaxis, fig.layout.yaxis
    assert list(xa.range) == [-0.5, 2.5] and list(ya.range) == [2.5, -0.5]
    assert xa.fixedrange and ya.fixedrange and fig.layout.dragmode is False
    assert list(xa.tickvals) == [0, 1, 2] and list(ya.ticktext) == NAMES
    assert xa.title.text == "predicted" and ya.title.text == "true"
    assert ya.scaleanchor == "x"


def test_confusion_default_title_diagonal_outline_and_highlight():
    fig = confusion_matrix_figure(CM, NAMES, highlight=(2, 0))
    assert fig.layout.title.text == "Confusion matrix: 150 of 163 right (92.0%)"
    shapes = fig.layout.shapes
    assert len(shapes) == 4  # 3 diagonal outlines + the highlight
    box = shapes[-1]
    assert (box.x0, box.x1, box.y0, box.y1) == (-0.5, 0.5, 1.5, 2.5)
    assert box.line.width > shapes[0].line.width


def test_confusion_highlight_out_of_range_or_malformed_is_ignored():
    for bad in [(3, 0), (0, -1), ("a", 1), (1,)]:
        assert len(confusion_matrix_figure(CM, NAMES, highlight=bad).layout.shapes) == 3


def test_confusion_normalized_rows_are_percent():
    cm = np.array([[3, 1], [0, 0]])  # second row has no samples
    fig = confusion_matrix_figure(cm, ["a", "b"], normalize=True, title="norm", height=300)
    np.testing.assert_allclose(np.asarray(fig.data[0].z), [[75, 25], [0, 0]])
    assert fig.data[0].text[0][1] == "25.0" and fig.data[0].text[1][0] == ""
    assert fig.layout.title.text == "norm" and fig.layout.height == 300
    assert fig.data[0].colorbar.title.text == "% of row"


def test_confusion_single_class_all_zero_and_more_classes():
    fig = confusion_matrix_figure([[0]], ["only"])
    assert fig.data[0].zmax == 1 and list(fig.layout.xaxis.range) == [-0.5, 0.5]
    k = 15
    fig = confusion_matrix_figure(np.eye(k, dtype=int), [f"c{i}" for i in range(k)])
    assert len(fig.data[1].x) == k * k and fig.data[0].textfont.size < 12


def test_confusion_shape_mismatch_and_no_classes():
    with pytest.raises(ValueError):
        confusion_matrix_figure(np.zeros((2, 2)), NAMES)
    assert confusion_matrix_figure(np.zeros((0, 0)), []).layout.annotations[0].text == "no classes"


# --- cell_from_selection ------------------------------------------------------------------


def point(**kw):
    return {"selection": {"points": [kw], "point_indices": [0], "box": [], "lasso": []}}


@pytest.mark.parametrize(
    "selection, expected",
    [
        (point(x=5, y=3, customdata=[3, 5], point_index=35), (3, 5)),
        (point(x=5, y=3, customdata={"0": 3, "1": 5}), (3, 5)),
        (point(customdata={0: 3, 1: 5}), (3, 5)),
        (point(customdata=[3.0, 5.0]), (3, 5)),
        (point(customdata=["3", "5"]), (3, 5)),
        (point(customdata=[3, 5, 1]), (3, 5)),  # a diff-matrix point still gives the cell
        (point(x=5.0, y=3.0), (3, 5)),  # no customdata: fall back to coordinates
        ({"points": [{"customdata": [1, 2]}]}, (1, 2)),  # the inner selection dict
        (None, None),
        ({}, None),
        ({"selection": {"points": []}}, None),
        ({"selection": None}, None),
        ({"selection": {"points": "x"}}, None),
        ({"selection": {"points": [None]}}, None),
        (point(customdata=[3]), None),
        (point(customdata={"0": 3}), None),
        (point(customdata=[3, 2.5]), None),
        (point(customdata=[True, 1]), None),
        (point(customdata=[-1, 1]), None),
        (point(customdata="35"), None),
        (point(customdata=[None, 1]), None),
        ("not a dict", None),
    ],
)
def test_cell_from_selection(selection, expected):
    assert cell_from_selection(selection) == expected


def test_diff_cell_from_selection():
    assert diff_cell_from_selection(point(customdata=[4, 9, 1])) == (4, 9, 1)
    assert diff_cell_from_selection(point(customdata={"0": 4, "1": 9, "2": 0})) == (4, 9, 0)
    assert diff_cell_from_selection(point(customdata=[4, 9])) is None
    assert diff_cell_from_selection(point(x=1, y=2)) is None


def test_round_trip_from_figure_customdata_to_cell():
    fig = confusion_matrix_figure(CM, NAMES)
    i = 7
    cd = [int(v) for v in fig.data[1].customdata[i]]
    sel = point(x=fig.data[1].x[i], y=fig.data[1].y[i], customdata=cd, point_index=i)
    assert cell_from_selection(sel) == (int(fig.data[1].y[i]), int(fig.data[1].x[i]))


# --- diff_matrix_figure -------------------------------------------------------------------


def test_diff_matrix_two_panels_each_with_click_layer():
    fixed = np.array([[0, 4, 1], [0, 0, 0], [2, 0, 0]])
    intro = np.array([[0, 0, 0], [3, 0, 0], [0, 0, 0]])
    fig = diff_matrix_figure(fixed, intro, NAMES, height=400)
    types = [type(t).__name__ for t in fig.data]
    assert types == ["Heatmap", "Scatter", "Heatmap", "Scatter"]
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), fixed)
    np.testing.assert_array_equal(np.asarray(fig.data[2].z), intro)
    assert fig.data[0].colorscale[-1] != fig.data[2].colorscale[-1]  # greens vs reds
    assert fig.data[0].zmax == fig.data[2].zmax == 4  # one shared colour range
    for which, click in ((0, fig.data[1]), (1, fig.data[3])):
        cd = np.asarray(click.customdata)
        assert cd.shape == (9, 3) and set(cd[:, 2]) == {which}
        np.testing.assert_array_equal(cd[:, 0], click.y)
        np.testing.assert_array_equal(cd[:, 1], click.x)
        assert click.opacity == 0
    assert (fig.data[3].xaxis, fig.data[3].yaxis) == ("x2", "y2")
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["fixed by B (7)", "introduced by B (3)"]
    assert list(fig.layout.yaxis2.range) == [2.5, -0.5] and fig.layout.xaxis2.fixedrange
    assert fig.layout.yaxis2.scaleanchor == "x2" and fig.layout.dragmode is False


def test_diff_matrix_all_zero_and_mismatch():
    fig = diff_matrix_figure(np.zeros((2, 2)), np.zeros((2, 2)), ["a", "b"])
    assert fig.data[0].zmax == 1 and fig.data[0].text[0][0] == ""
    with pytest.raises(ValueError):
        diff_matrix_figure(np.zeros((2, 2)), np.zeros((3, 3)), ["a", "b"])


# --- confusion_timeline -------------------------------------------------------------------


def test_confusion_timeline_two_lines():
    fig = confusion_timeline([1, 2, 3], [30, 12, 5], [20, 15, 9], "4", "9", height=250)
    a, b = fig.data
    assert a.name == "true 4 → predicted 9" and b.name == "true 9 → predicted 4"
    np.testing.assert_array_equal(a.y, [30, 12, 5])
    np.testing.assert_array_equal(b.x, [1, 2, 3])
    assert fig.layout.yaxis.rangemode == "tozero" and fig.layout.height == 250


def test_confusion_timeline_empty_one_point_and_mismatch():
    assert confusion_timeline([], [], [], "a", "b").layout.annotations[0].text.startswith("no ")
    assert len(confusion_timeline([1], [0], [2], "a", "b").data[0].y) == 1
    with pytest.raises(ValueError):
        confusion_timeline([1, 2], [1], [1, 2], "a", "b")
