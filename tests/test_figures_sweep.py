"""figures/sweep.py: the seed bands are mean ± sample std per epoch (none for one seed), and
the objective-per-setting panels put every seed and the point's mean on the axis's own scale."""

import numpy as np
import pytest

from figures.sweep import objective_by_setting, seed_bands


def test_a_band_is_the_mean_plus_minus_the_sample_std_of_the_seeds():
    fig = seed_bands({"a": {1: [0.5, 0.7], 2: [0.8, 0.9]}, "b": {1: [0.4]}}, "accuracy")
    band, a_line, b_line = fig.data
    assert band.fill == "toself" and list(band.x) == [1, 2, 2, 1]
    std1, std2 = np.std([0.5, 0.7], ddof=1), np.std([0.8, 0.9], ddof=1)
    np.testing.assert_allclose(band.y, [0.6 + std1, 0.85 + std2, 0.85 - std2, 0.6 - std1])
    np.testing.assert_allclose(a_line.y, [0.6, 0.85])
    assert b_line.name == "b" and list(b_line.y) == [0.4]  # one seed: a line, no band
    assert fig.layout.yaxis.title.text == "accuracy"


def test_nothing_finished_says_so():
    assert seed_bands({"a": {}}, "x").layout.annotations[0].text == "no epoch has finished yet"
    empty = objective_by_setting([{"name": "lr"}], [{"values": {"lr": 1}, "seeds": []}], "x")
    assert empty.layout.annotations[0].text == "no point has finished yet"


@pytest.mark.parametrize(
    ("axis", "scale"),
    [({"log": True, "numeric": True}, "log"), ({"numeric": True}, "linear"), ({}, "category")],
)
def test_each_setting_gets_its_own_scale_with_every_seed_and_the_mean(axis, scale):
    points = [{"values": {"s": 0.1, "t": "relu"}, "seeds": [0.5, 0.7]},
              {"values": {"s": 1.0, "t": "tanh"}, "seeds": [0.9]}]  # fmt: skip
    fig = objective_by_setting([{"name": "s", **axis}, {"name": "t"}], points, "acc")
    dots, means, dots_t, _ = fig.data
    assert list(dots.x) == [0.1, 0.1, 1.0] and list(dots.y) == [0.5, 0.7, 0.9]
    np.testing.assert_allclose(means.y, [0.6, 0.9])
    np.testing.assert_allclose(means.error_y.array, [np.std([0.5, 0.7], ddof=1), 0.0])
    assert fig.layout.xaxis.type == scale and fig.layout.xaxis2.type == "category"
    assert list(dots_t.x) == ["relu", "relu", "tanh"]
