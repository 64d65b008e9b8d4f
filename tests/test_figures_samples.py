"""figures.samples / figures.explain: image grids, class counts, mean images, explanations."""

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.colors import get_colorscale

from figures import (
    activation_bars,
    class_counts,
    image_grid,
    margin_histogram,
    mean_images,
    pair_means_figure,
    probability_bars,
    saliency_overlay,
    saliency_tiles,
)
from figures.theme import BAD, GOOD, MUTED


def same_scale(trace, name: str) -> bool:
    ours, ref = trace.colorscale, get_colorscale(name)
    same_colors = [c for _, c in ours] == [c for _, c in ref]
    return same_colors and np.allclose([t for t, _ in ours], [t for t, _ in ref])


def z_of(fig, i=0) -> np.ndarray:
    return np.asarray(fig.data[i].z, dtype=float)


# --- image_grid ---------------------------------------------------------------------------


def test_image_grid_one_heatmap_with_captions_and_outlines():
    imgs = np.arange(3 * 5 * 4).reshape(3, 5, 4) % 256
    fig = image_grid(imgs, titles=["7", "2", "1"], cols=2, colors=["green", "red", "green"])
    (heat,) = fig.data
    assert isinstance(heat, go.Heatmap) and same_scale(heat, "gray_r")
    assert (heat.zmin, heat.zmax) == (0, 255)
    z = z_of(fig)
    band = 2  # ceil(0.4 * 5) blank rows above each tile for its caption
    assert z.shape == (2 * (band + 5) + 1, 2 * 4 + 1)
    np.testing.assert_array_equal(z[band : band + 5, 0:4], imgs[0])
    np.testing.assert_array_equal(z[band : band + 5, 5:9], imgs[1])
    np.testing.assert_array_equal(z[8 + band : 8 + band + 5, 0:4], imgs[2])
    assert np.isnan(z[:band]).all()
    anns = fig.layout.annotations
    assert [a.text for a in anns] == ["7", "2", "1"]
    assert [a.font.color for a in anns] == ["green", "red", "green"]
    assert (anns[1].x, anns[1].y) == (6.5, 1.5)  # centred over tile 1, at its top edge
    shapes = fig.layout.shapes
    assert len(shapes) == 3 and shapes[1].line.color == "red"
    assert (shapes[2].x0, shapes[2].y0, shapes[2].x1, shapes[2].y1) == (-0.5, 9.5, 3.5, 14.5)
    assert fig.layout.yaxis.scaleanchor == "x"


def test_image_grid_without_titles_has_no_caption_band():
    fig = image_grid(np.ones((4, 2, 2)), cols=10, max_value=1, colorscale="gray", height=150)
    assert z_of(fig).shape == (2, 4 * 2 + 3)  # cols clamped to the 4 images, one row
    assert fig.data[0].zmax == 1 and fig.layout.height == 150
    assert len(fig.layout.annotations) == 0 and len(fig.layout.shapes) == 0


def test_image_grid_default_height_grows_with_rows():
    one_row = image_grid(np.zeros((10, 28, 28)), titles=list("abcdefghij"))
    three_rows = image_grid(np.zeros((30, 28, 28)), titles=list("abcdefghij") * 3)
    assert three_rows.layout.height > one_row.layout.height


def test_image_grid_single_image_and_nothing_to_show():
    fig = image_grid(np.full((1, 3, 3), 9.0))
    np.testing.assert_array_equal(z_of(fig), np.full((3, 3), 9.0))
    for empty in (np.zeros((0, 28, 28)), []):
        fig = image_grid(empty)
        assert len(fig.data) == 0 and fig.layout.annotations[0].text == "nothing to show"


def test_image_grid_bad_input():
    with pytest.raises(ValueError):
        image_grid(np.zeros((2, 3, 3)), titles=["only one"])
    with pytest.raises(ValueError):
        image_grid(np.zeros((2, 3, 3)), colors=["red"])
    with pytest.raises(ValueError):
        image_grid(np.zeros((3, 3)))


# --- mean_images --------------------------------------------------------------------------


def test_mean_images_one_tile_per_class_with_shared_scale():
    means = np.stack([np.full((2, 2), v) for v in (0.1, 0.5, 0.3)])
    fig = mean_images(means, ["a", "b", "c"])
    assert [a.text for a in fig.layout.annotations] == ["a", "b", "c"]
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == pytest.approx(0.5)
    assert fig.layout.title.text == "Average image per class"
    assert z_of(fig).shape == (1 + 2, 3 * 2 + 2)  # one row: band 1 + 2 pixels


def test_mean_images_negative_or_constant_values():
    fig = mean_images(np.full((2, 2, 2), -1.0), ["a", "b"])
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-1, 0)
    assert mean_images(np.zeros((0, 2, 2)), []).layout.annotations[0].text == "nothing to show"


def test_pair_means_figure_shows_both_means_and_their_difference():
    a = np.array([[1.0, 0.0], [0.5, 0.0]])
    b = np.array([[0.0, 0.0], [0.5, 1.0]])
    fig = pair_means_figure(a, b, "4", "9")
    assert len(fig.data) == 3
    np.testing.assert_allclose(z_of(fig, 0), a)
    np.testing.assert_allclose(z_of(fig, 1), b)
    np.testing.assert_allclose(z_of(fig, 2), a - b)
    assert fig.data[2].zmid == 0 and fig.data[2].zmin == -1 and fig.data[2].zmax == 1
    titles = [ann.text for ann in fig.layout.annotations]
    assert titles == ["average 4", "average 9", "4 − 9"]
    with pytest.raises(ValueError):
        pair_means_figure(a, np.zeros((3, 3)), "4", "9")


# --- class_counts -------------------------------------------------------------------------


def test_class_counts_grouped_bars_on_a_category_axis():
    fig = class_counts(["0", "1", "2"], [5923, 6742, 5958], [980, 1135, 1032])
    train, test = fig.data
    assert (train.name, test.name) == ("train", "test")
    assert list(train.x) == ["0", "1", "2"] and list(test.y) == [980, 1135, 1032]
    assert fig.layout.barmode == "group" and fig.layout.xaxis.type == "category"


def test_class_counts_train_only_mismatch_and_empty():
    assert len(class_counts(["a"], [3], None).data) == 1
    with pytest.raises(ValueError):
        class_counts(["a", "b"], [1], [1, 2])
    assert class_counts([], [], []).layout.annotations[0].text == "no classes"


# --- probability_bars ---------------------------------------------------------------------


def test_probability_bars_wrong_prediction():
    proba = [0.05, 0.7, 0.25]
    fig = probability_bars(proba, ["cat", "dog", "cow"], true_class=2)
    (bar,) = fig.data
    np.testing.assert_allclose(bar.y, proba)
    assert list(bar.marker.color) == [MUTED, BAD, GOOD]
    assert list(bar.text) == ["5%", "70%", "25%"]
    assert fig.layout.title.text == "Predicted dog (70.0%), true cow"
    (ann,) = fig.layout.annotations
    assert ann.text == "true" and ann.x == "cow"
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.yaxis.range[0] == 0


def test_probability_bars_right_prediction_and_no_truth():
    fig = probability_bars([0.9, 0.1], ["a", "b"], true_class=0)
    assert list(fig.data[0].marker.color) == [GOOD, MUTED]
    fig = probability_bars([0.2, 0.8], ["a", "b"])
    assert fig.data[0].marker.color[0] == MUTED and fig.data[0].marker.color[1] not in (GOOD, BAD)
    assert len(fig.layout.annotations) == 0


def test_probability_bars_nan_tiny_and_bad_input():
    fig = probability_bars([np.nan, 0.001, 0.999], ["a", "b", "c"])
    assert list(fig.data[0].text) == ["", "", "100%"]
    assert "Predicted c" in fig.layout.title.text
    assert probability_bars([np.nan], ["a"]).layout.annotations[0].text == "no prediction"
    with pytest.raises(ValueError):
        probability_bars([0.5, 0.5], ["a"])
    with pytest.raises(ValueError):
        probability_bars([0.5, 0.5], ["a", "b"], true_class=2)


# --- saliency_overlay ---------------------------------------------------------------------


def test_saliency_overlay_gray_image_under_symmetric_diverging_saliency():
    img = np.arange(9.0).reshape(3, 3)
    sal = np.array([0.1, -0.4, 0, 0, 0.2, 0, 0, 0, 0])  # flat, as netlib returns it
    fig = saliency_overlay(img, sal, title="why 4?")
    base, top = fig.data
    np.testing.assert_allclose(z_of(fig, 0), img)
    np.testing.assert_allclose(z_of(fig, 1), sal.reshape(3, 3), rtol=1e-6)
    assert same_scale(base, "gray_r") and base.showscale is False
    assert (top.zmin, top.zmid, top.zmax) == (pytest.approx(-0.4), 0, pytest.approx(0.4))
    mid = top.colorscale[len(top.colorscale) // 2][1]
    assert mid.startswith("rgba(") and mid.endswith(",0.000)")  # digit shows through at 0
    assert top.colorscale[0][1].endswith(",0.900)")
    assert fig.layout.title.text == "why 4?" and fig.layout.yaxis.autorange == "reversed"


def test_saliency_overlay_zero_saliency_and_mismatch():
    fig = saliency_overlay(np.zeros((2, 2)), np.zeros((2, 2)))
    assert (fig.data[1].zmin, fig.data[1].zmax) == (-1, 1) and fig.data[0].zmax == 1
    with pytest.raises(ValueError):
        saliency_overlay(np.zeros((2, 2)), np.zeros(5))


def test_saliency_tiles_normalise_each_tile_and_caption_it():
    images = np.zeros((3, 4, 5))
    sal = np.zeros((3, 20))
    sal[0, 0], sal[1, 7], sal[2, 3] = 2.0, -0.5, 0.0
    fig = saliency_tiles(images, sal, ["a", "b", "c"], cols=2, max_value=255, title="t")
    img, over = fig.data
    grid = z_of(fig, 1)
    assert np.nanmax(grid) == 1.0 and np.nanmin(grid) == -1.0  # tile 0 → +1, tile 1 → −1
    assert img.zmax == 255 and over.zmid == 0
    assert [a.text for a in fig.layout.annotations] == ["a", "b", "c"]
    assert grid.shape == z_of(fig, 0).shape
    empty = saliency_tiles(np.zeros((0, 4, 5)), [], [])
    assert "no such sample" in empty.layout.annotations[0].text
    with pytest.raises(ValueError):
        saliency_tiles(images, sal, ["a"])


# --- margin_histogram ---------------------------------------------------------------------


def test_margin_histogram_shared_bins_and_zero_line():
    a = np.array([1.0, 2.0, 3.0, np.nan])
    b = np.array([-3.0, -1.0, 0.5])
    fig = margin_histogram(a, b, "4", "9", bins=6)
    ha, hb = fig.data
    assert (ha.name, hb.name) == ("true 4", "true 9")
    np.testing.assert_allclose(ha.x, hb.x)  # same bins for both classes
    assert sum(ha.y) == 3 and sum(hb.y) == 3 and len(ha.y) == 6
    np.testing.assert_allclose(ha.x[0], -3 + 0.5)  # range covers both sets, 1-wide bins
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == 0
    assert fig.layout.barmode == "overlay" and fig.layout.xaxis.title.text == "logit 4 − logit 9"


def test_margin_histogram_one_side_empty_one_value_and_nothing():
    fig = margin_histogram([], [0.5], "a", "b")
    assert len(fig.data[0].y) == 0 and sum(fig.data[1].y) == 1
    assert margin_histogram([], [np.nan], "a", "b").layout.annotations[0].text.startswith("no ")


# --- activation_bars ----------------------------------------------------------------------


def test_activation_bars_one_panel_per_layer():
    acts = [np.array([[0.0, 1.5, -0.2]]), np.array([2.0, 0.0])]
    fig = activation_bars(acts, height=200)
    first, second = fig.data
    np.testing.assert_allclose(first.y, [0.0, 1.5, -0.2])
    np.testing.assert_array_equal(first.x, [0, 1, 2])
    assert first.marker.color[2] == BAD and first.marker.color[1] != BAD
    assert second.xaxis == "x2" and fig.layout.height == 400
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["hidden layer 1 · 3 units", "hidden layer 2 · 2 units"]


def test_activation_bars_no_layers():
    assert activation_bars([]).layout.annotations[0].text == "no hidden layers"
