"""Max-pool routing (ties to the first maximum in row-major order) and average pooling."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.layers import AvgPool2D, MaxPool2D, ShapeError


def test_max_pool_routes_each_gradient_to_its_windows_first_maximum():
    x = np.array(
        [
            [3, 1, 0, 5, 7, 7, 9],
            [3, 2, 5, 5, 7, 7, 9],
            [-1, -2, 4, 0, 1, 2, 9],
            [-3, -1, 0, 4, 2, 1, 9],
            [9, 9, 9, 9, 9, 9, 9],  # row 5 and column 7 are left over: never routed to
        ],
        dtype=np.float64,
    )[None, None]
    pool = MaxPool2D(2)
    y, cache = pool.forward(x, train=True)
    np.testing.assert_array_equal(y[0, 0], [[3, 5, 7], [-1, 4, 2]])
    dy = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]])[None, None]
    dx, grads = pool.backward(cache, dy)
    assert grads == {}
    expected = np.zeros_like(x)
    expected[0, 0, 0, 0] = 10  # tie 3 / 3 down the column: the upper one
    expected[0, 0, 0, 3] = 20  # tie of three 5s: first in row-major order
    expected[0, 0, 0, 4] = 30  # all four equal: the top-left one
    expected[0, 0, 2, 0] = 40
    expected[0, 0, 2, 2] = 50  # 4 and 4 on the diagonal: the first
    expected[0, 0, 2, 5] = 60
    np.testing.assert_array_equal(dx, expected)


def test_max_pool_size_3_over_batch_and_channels():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 6, 7))
    y, cache = MaxPool2D(3).forward(x, train=False)
    assert y.shape == (2, 3, 2, 2)
    for i in range(2):
        for j in range(2):
            window = x[:, :, 3 * i : 3 * i + 3, 3 * j : 3 * j + 3]
            np.testing.assert_array_equal(y[:, :, i, j], window.max(axis=(2, 3)))
    dx, _ = MaxPool2D(3).backward(cache, np.ones_like(y))
    assert dx.sum() == y.size and set(np.unique(dx)) == {0.0, 1.0}
    np.testing.assert_array_equal(np.sort(x[dx == 1]), np.sort(y.ravel()))  # the maxima
    assert not dx[:, :, :, 6].any()


def test_avg_pool_values_and_even_split_of_the_gradient():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    pool = AvgPool2D(2)
    y, cache = pool.forward(x, train=True)
    np.testing.assert_array_equal(y[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    dx, _ = pool.backward(cache, np.full((1, 1, 2, 2), 4.0))
    np.testing.assert_array_equal(dx, np.ones_like(x))
    y3, _ = AvgPool2D(3).forward(np.arange(49.0).reshape(1, 1, 7, 7), train=False)
    assert y3[0, 0, 0, 0] == np.mean([0, 1, 2, 7, 8, 9, 14, 15, 16])


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
def test_dtype_follows_the_input_and_shapes_are_checked(pool):
    x = np.random.default_rng(1).normal(size=(2, 3, 9, 8)).astype(np.float32)
    y, cache = pool(2).forward(x, train=True)
    assert y.dtype == np.float32 and y.shape == (2, *pool(2).output_shape((3, 9, 8)))
    dx, _ = pool(2).backward(cache, np.ones_like(y))
    assert dx.dtype == np.float32 and dx.shape == x.shape
    with pytest.raises(ShapeError, match=r"3x3 window does not fit the 2x5 input"):
        pool(3).output_shape((1, 2, 5))
    with pytest.raises(ValueError, match="size must be one of"):
        pool(4)
