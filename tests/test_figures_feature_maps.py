"""One sample's outputs and gradients per layer, as mosaics."""

import numpy as np

from figures.feature_maps import layer_maps_figure, mosaic


def test_channels_become_a_grid_and_units_a_padded_block():
    maps = np.arange(3 * 4 * 4, dtype=float).reshape(3, 4, 4)
    grid = mosaic(maps, max_channels=2)
    assert grid.shape == (4, 4 * 2 + 1)  # two channels and a one-pixel gap
    np.testing.assert_array_equal(grid[:, :4], maps[0])
    np.testing.assert_array_equal(grid[:, 5:], maps[1])
    block = mosaic(np.arange(10.0), max_channels=16)
    assert block.size >= 10 and block.shape[1] >= block.shape[0]
    np.testing.assert_array_equal(block.ravel()[:10], np.arange(10.0))
    assert np.isnan(block.ravel()[10:]).all()


def test_each_layer_is_a_row_of_output_and_symmetric_gradient():
    rows = [
        ("0. conv", np.ones((2, 3, 3)), np.full((2, 3, 3), -2.0)),
        ("1. dense", np.ones(5), np.arange(5.0)),
    ]
    fig = layer_maps_figure(rows, "logit 4 − logit 9")
    assert [a.text for a in fig.layout.annotations][:2] == ["0. conv", "∂(logit 4 − logit 9)"]
    assert len(fig.data) == 4
    grad = fig.data[1]
    assert grad.zmid == 0 and grad.zmin == -grad.zmax == -2.0
    assert fig.layout.height > 2 * 100
    assert layer_maps_figure([], "m").layout.annotations[0].text == "no layers to show"
