"""A sweep's axes from text: lists and ranges, checked by each setting's own spec."""

from __future__ import annotations

import math

import pytest

from netlib.config import NetConfig
from netlib.settings import ConfigError
from netlib.sweep_space import GRID_POINTS, grid_points, parse_axes, parse_axis


def test_a_log_range_gives_log_spaced_grid_points_ending_exactly_where_typed():
    axis = parse_axis("lr=1e-3..1e-1:log")
    assert (axis.low, axis.high, axis.log, axis.points) == (1e-3, 1e-1, True, GRID_POINTS)
    grid = axis.grid()
    assert grid[0] == 1e-3 and grid[-1] == 1e-1 and len(grid) == GRID_POINTS
    ratios = [b / a for a, b in zip(grid, grid[1:], strict=False)]
    assert all(math.isclose(r, ratios[0]) for r in ratios)
    assert parse_axis("lr=1e-3..1e-1:log:3").grid() == pytest.approx((1e-3, 1e-2, 1e-1))
    assert parse_axis(axis.text()) == axis


def test_linear_and_whole_number_ranges():
    assert parse_axis("dropout=0..0.5:6").grid() == pytest.approx((0, 0.1, 0.2, 0.3, 0.4, 0.5))
    shift = parse_axis("augment_shift=0..2:5").grid()  # 0, .5, 1, 1.5, 2 as whole numbers
    assert shift == (0, 1, 2) and all(isinstance(v, int) for v in shift)


def test_lists_are_parsed_by_each_settings_spec():
    layers = parse_axis("layers=dense64|dense256|conv8k5 pool2 dense32")
    assert layers.grid() == ("dense64", "dense256", "conv8k5 pool2 dense32")
    assert parse_axis("activation=relu|tanh").grid() == ("relu", "tanh")
    assert parse_axis("batch_size=32|128").grid() == (32, 128)
    for value in layers.grid():  # every value is a config the trainer takes
        NetConfig(layers=value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr", "write it as name=values"),
        ("colour=red|blue", "'colour' is not a setting"),
        ("seed=1|2", "'seed' is the same for every point"),
        ("activation=relu|softplus", "activation"),
        ("activation=relu..tanh", "a range needs a numeric setting"),
        ("lr=1e-1..1e-3", "must go from low to high"),
        ("l2=0..1e-1:log", "a log range must start above 0"),
        ("lr=1e-3..1e-1:cubic", "unknown range option 'cubic'"),
        ("lr=1e-3..1e-1:40", "40 grid points"),
        ("lr=1e-3..1e5", "lr"),  # outside the setting's own range
        ("layers=dense64||dense8", "an empty value"),
        ("layers=dense64|conv8k99", "conv8k99"),
        ("activation=relu|relu", "listed twice"),
    ],
)
def test_bad_axes_name_the_axis_and_what_is_wrong(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_axis(text)


def test_a_grid_is_every_combination_first_axis_slowest():
    axes = parse_axes(["activation=relu|tanh", "lr=0.01..0.1:log:2"])
    assert grid_points(axes) == [
        {"activation": "relu", "lr": 0.01}, {"activation": "relu", "lr": 0.1},
        {"activation": "tanh", "lr": 0.01}, {"activation": "tanh", "lr": 0.1},
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="given twice"):
        parse_axes(["lr=0.1|0.2", "lr=0.3|0.4"])
    with pytest.raises(ConfigError, match="1 to 3 axes"):
        parse_axes(["lr=0.1|0.2", "l2=0|0.1", "dropout=0|0.1", "batch_size=8|16"])
    with pytest.raises(ConfigError, match="1 to 3 axes"):
        parse_axes([])
