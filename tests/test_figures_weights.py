"""figures.weights: first-layer tiles, receptive fields, deeper matrices, weight histograms."""

import numpy as np
import plotly.graph_objects as go
import pytest

from figures import receptive_fields, tile_grid, weight_histograms, weight_matrix, weight_tiles


def z_of(fig, i=0) -> np.ndarray:
    return np.asarray(fig.data[i].z, dtype=float)


# --- weight_tiles -------------------------------------------------------------------------


def test_weight_tiles_one_heatmap_of_columns_with_symmetric_diverging_scale():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(4 * 5, 10))  # 4x5 images, 10 hidden units
    W[3, 2] = -7.5  # the largest |w| sets the symmetric range
    fig = weight_tiles(W, (4, 5), max_tiles=6)
    (heat,) = fig.data
    assert isinstance(heat, go.Heatmap)
    expected = tile_grid(W[:, :6].T.reshape(6, 4, 5), cols=3)  # ceil(sqrt(6)) = 3 columns
    np.testing.assert_allclose(z_of(fig), expected, rtol=1e-6)
    assert heat.zmid == 0 and heat.zmin == pytest.approx(-7.5) and heat.zmax == pytest.approx(7.5)
    assert heat.colorscale[0][1] == "rgb(103,0,31)"  # RdBu's dark red end
    assert fig.layout.title.text == "First-layer weights: 6 of 10 units"
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.showticklabels is False and fig.layout.yaxis.showticklabels is False


def test_weight_tiles_unit_j_is_column_j():
    W = np.zeros((4, 3))
    W[:, 1] = [1, 2, 3, 4]
    z = z_of(weight_tiles(W, (2, 2), cols=3))
    np.testing.assert_allclose(z[:, 3:5], [[1, 2], [3, 4]])


def test_weight_tiles_fewer_units_than_max_and_explicit_layout():
    fig = weight_tiles(np.ones((9, 2)), (3, 3), max_tiles=64, cols=5, height=333)
    assert z_of(fig).shape == (3, 7)  # cols clamped to the 2 units
    assert fig.layout.title.text.endswith("2 of 2 units") and fig.layout.height == 333


def test_weight_tiles_all_zero_and_nan_weights_do_not_break_the_range():
    fig = weight_tiles(np.zeros((4, 1)), (2, 2))
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-1, 1)
    fig = weight_tiles(np.array([[np.nan], [2.0], [0.0], [1.0]]), (2, 2))
    assert fig.data[0].zmax == 2


def test_weight_tiles_bad_shapes():
    with pytest.raises(ValueError):
        weight_tiles(np.ones((10, 3)), (3, 3))
    assert weight_tiles(np.ones((9, 0)), (3, 3)).layout.annotations[0].text == "no hidden units"


# --- receptive_fields ---------------------------------------------------------------------


def test_receptive_fields_draw_the_chosen_units_columns():
    W = np.arange(12 * 4, dtype=float).reshape(12, 4) - 20
    fig = receptive_fields(W, [3, 1], (3, 4), ["unit 3", "unit 1"], cols=2)
    grid = z_of(fig)
    band = int(np.ceil(0.4 * 3))
    np.testing.assert_allclose(grid[band : band + 3, 0:4], W[:, 3].reshape(3, 4))
    np.testing.assert_allclose(grid[band : band + 3, 5:9], W[:, 1].reshape(3, 4))
    m = np.nanmax(np.abs(grid))
    assert fig.data[0].zmin == -m and fig.data[0].zmax == m
    assert [a.text for a in fig.layout.annotations] == ["unit 3", "unit 1"]
    one = receptive_fields(W[:, :1], [0], (3, 4), ["w4 − w9"], cols=1)
    assert len(one.layout.annotations) == 1
    with pytest.raises(ValueError):
        receptive_fields(W, [0], (5, 5), ["x"])
    assert "no units" in receptive_fields(W, [], (3, 4), []).layout.annotations[0].text


# --- weight_matrix ------------------------------------------------------------------------


def test_weight_matrix_heatmap():
    W = np.array([[0.5, -2.0, 1.0], [0.0, 0.25, -1.0]])
    fig = weight_matrix(W, "layer 2: 2 → 3", height=250)
    heat = fig.data[0]
    np.testing.assert_allclose(z_of(fig), W)
    assert (heat.zmin, heat.zmid, heat.zmax) == (-2.0, 0, 2.0)
    assert fig.layout.title.text == "layer 2: 2 → 3" and fig.layout.height == 250
    assert (
        fig.layout.xaxis.title.text == "output unit" and fig.layout.yaxis.title.text == "input unit"
    )


def test_weight_matrix_empty_and_wrong_dims():
    assert weight_matrix(np.zeros((0, 3)), "t").layout.annotations[0].text == "empty weight matrix"
    with pytest.raises(ValueError):
        weight_matrix(np.zeros(3), "t")


# --- weight_histograms --------------------------------------------------------------------


def test_weight_histograms_one_panel_per_layer_with_numpy_counts():
    rng = np.random.default_rng(1)
    layers = [rng.normal(size=(784, 128)), rng.normal(size=(128, 10))]
    fig = weight_histograms(layers, ["W1", "W2"], bins=30)
    assert len(fig.data) == 2 and all(isinstance(t, go.Bar) for t in fig.data)
    assert [t.name for t in fig.data] == ["W1", "W2"]
    assert sum(fig.data[0].y) == 784 * 128 and len(fig.data[0].y) == 30
    assert sum(fig.data[1].y) == 1280
    assert (fig.data[0].xaxis, fig.data[1].xaxis) == ("x", "x2")  # faceted, not overlaid
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["W1 (100,352 weights)", "W2 (1,280 weights)"]
    assert len(fig.to_json()) < 20_000  # bins, not 100k raw values


def test_weight_histograms_default_names_nan_and_wrapping():
    layers = [np.array([1.0, np.nan, 2.0])] + [np.ones(3)] * 4
    fig = weight_histograms(layers, bins=4, height=200)
    assert fig.data[0].name == "layer 1" and sum(fig.data[0].y) == 2
    assert fig.layout.height == 400  # 5 panels -> 2 rows of 4
    assert fig.data[4].xaxis == "x5"


def test_weight_histograms_empty_and_mismatch():
    assert weight_histograms([]).layout.annotations[0].text == "no weights yet"
    with pytest.raises(ValueError):
        weight_histograms([np.ones(3)], ["a", "b"])
