"""The Pair lens's own figures: pure functions of arrays, checked without a browser."""

import numpy as np
import pytest

from figures import insight as fi


def z(trace) -> np.ndarray:
    return np.asarray(trace.z, dtype=np.float64)


def test_pair_means_figure_shows_both_means_and_their_difference():
    a = np.array([[1.0, 0.0], [0.5, 0.0]])
    b = np.array([[0.0, 0.0], [0.5, 1.0]])
    fig = fi.pair_means_figure(a, b, "4", "9")
    assert len(fig.data) == 3
    np.testing.assert_allclose(z(fig.data[0]), a)
    np.testing.assert_allclose(z(fig.data[1]), b)
    np.testing.assert_allclose(z(fig.data[2]), a - b)
    assert fig.data[2].zmid == 0 and fig.data[2].zmin == -1 and fig.data[2].zmax == 1
    titles = [ann.text for ann in fig.layout.annotations]
    assert titles == ["average 4", "average 9", "4 − 9"]
    with pytest.raises(ValueError):
        fi.pair_means_figure(a, np.zeros((3, 3)), "4", "9")


def test_saliency_tiles_normalise_each_tile_and_caption_it():
    images = np.zeros((3, 4, 5))
    sal = np.zeros((3, 20))
    sal[0, 0], sal[1, 7], sal[2, 3] = 2.0, -0.5, 0.0
    fig = fi.saliency_tiles(images, sal, ["a", "b", "c"], cols=2, max_value=255, title="t")
    img, over = fig.data
    grid = z(over)
    assert np.nanmax(grid) == 1.0 and np.nanmin(grid) == -1.0  # tile 0 → +1, tile 1 → −1
    assert img.zmax == 255 and over.zmid == 0
    assert [a.text for a in fig.layout.annotations] == ["a", "b", "c"]
    assert grid.shape == z(img).shape
    empty = fi.saliency_tiles(np.zeros((0, 4, 5)), [], [])
    assert "no such sample" in empty.layout.annotations[0].text
    with pytest.raises(ValueError):
        fi.saliency_tiles(images, sal, ["a"])


def test_receptive_fields_draw_the_chosen_units_columns():
    W = np.arange(12 * 4, dtype=float).reshape(12, 4) - 20
    fig = fi.receptive_fields(W, [3, 1], (3, 4), ["unit 3", "unit 1"], cols=2)
    grid = z(fig.data[0])
    band = int(np.ceil(0.4 * 3))
    np.testing.assert_allclose(grid[band : band + 3, 0:4], W[:, 3].reshape(3, 4))
    np.testing.assert_allclose(grid[band : band + 3, 5:9], W[:, 1].reshape(3, 4))
    m = np.nanmax(np.abs(grid))
    assert fig.data[0].zmin == -m and fig.data[0].zmax == m
    assert [a.text for a in fig.layout.annotations] == ["unit 3", "unit 1"]
    one = fi.receptive_fields(W[:, :1], [0], (3, 4), ["w4 − w9"], cols=1)
    assert len(one.layout.annotations) == 1
    with pytest.raises(ValueError):
        fi.receptive_fields(W, [0], (5, 5), ["x"])
    assert "no units" in fi.receptive_fields(W, [], (3, 4), []).layout.annotations[0].text
