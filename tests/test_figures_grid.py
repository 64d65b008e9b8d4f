"""figures.grid: tiles laid into one array, caption bands, and the one height rule."""

import numpy as np
import plotly.graph_objects as go
import pytest

import figures
from figures.grid import MAX_HEIGHT, MIN_HEIGHT, PX_PER_PIXEL, image_stack, tile_grid, titled_grid

# --- tile_grid ----------------------------------------------------------------------------


def test_tile_grid_places_tiles_row_by_row_with_nan_gutters():
    imgs = np.arange(5 * 2 * 3).reshape(5, 2, 3)
    out = tile_grid(imgs, cols=2)
    assert out.shape == (3 * 2 + 2, 2 * 3 + 1)  # 3 rows of 2x3 tiles, 1-px gutters
    np.testing.assert_array_equal(out[0:2, 0:3], imgs[0])
    np.testing.assert_array_equal(out[0:2, 4:7], imgs[1])
    np.testing.assert_array_equal(out[3:5, 0:3], imgs[2])
    np.testing.assert_array_equal(out[6:8, 0:3], imgs[4])
    assert np.isnan(out[2]).all() and np.isnan(out[:, 3]).all()  # gutters
    assert np.isnan(out[6:8, 4:7]).all()  # the unused last slot


def test_tile_grid_gutter_and_fill_options():
    out = tile_grid(np.ones((2, 2, 2)), cols=2, gutter=0, fill=-1)
    np.testing.assert_array_equal(out, np.ones((2, 4)))
    out = tile_grid(np.ones((1, 2, 2)), cols=3, gutter=2, fill=-1)
    assert out.shape == (2, 3 * 2 + 2 * 2) and (out[:, 2:] == -1).all()


def test_tile_grid_edge_cases():
    assert tile_grid(np.zeros((0, 4, 4)), cols=3).shape == (0, 0)
    np.testing.assert_array_equal(tile_grid(np.full((1, 1, 1), 7), cols=1), [[7.0]])
    with pytest.raises(ValueError):
        tile_grid(np.zeros((4, 4)), cols=2)
    with pytest.raises(ValueError):
        tile_grid(np.zeros((1, 4, 4)), cols=0)


# --- titled_grid and the height rule ------------------------------------------------------


def test_titled_grid_puts_a_blank_caption_band_above_each_tile():
    grid = titled_grid(np.ones((5, 10, 4)), cols=3)
    assert (grid.band, grid.cols, grid.rows) == (4, 3, 2)
    assert grid.z.shape == (2 * (4 + 10) + 1, 3 * 4 + 2)
    assert np.isnan(grid.z[:4]).all() and (grid.z[4:14, 0:4] == 1).all()
    assert grid.corner(4) == (4.5, 18.5)  # row 1, column 1: top edge of the tile under its band
    bare = titled_grid(np.ones((2, 3, 3)), cols=10)
    assert (bare.band, bare.cols) == (2, 2)  # ceil(0.4 * 3); cols clamped to 2 tiles
    assert titled_grid(np.ones((2, 3, 3)), cols=10, captioned=False).z.shape == (3, 7)


def test_one_height_rule_for_every_tile_figure():
    tiles = np.zeros((30, 28, 28))
    grid = titled_grid(tiles, cols=10)
    want = int(20 + 50 + 3 * (28 + 12 + 1) * PX_PER_PIXEL)
    assert grid.height(title=True) == want
    assert titled_grid(tiles[:1], cols=1).height(title=False) == MIN_HEIGHT
    assert titled_grid(np.zeros((400, 28, 28)), cols=4).height(title=False) == MAX_HEIGHT
    titles = [str(i) for i in range(30)]
    W = np.zeros((28 * 28, 30))
    drawn = [
        figures.image_grid(tiles, titles, cols=10),
        figures.saliency_tiles(tiles, np.ones((30, 28 * 28)), titles, cols=10),
        figures.receptive_fields(W, np.arange(30), (28, 28), titles, cols=10),
    ]
    assert [fig.layout.height for fig in drawn] == [int(20 + 10 + 3 * 41 * PX_PER_PIXEL)] * 3


def test_image_stack_keeps_empty_input_and_rejects_other_shapes():
    assert image_stack([]).size == 0 and image_stack(np.ones((2, 3, 3))).dtype == np.float64
    with pytest.raises(ValueError):
        image_stack(np.ones((3, 3)))
    assert isinstance(figures.image_grid(np.ones((1, 2, 2))), go.Figure)
