"""figures.training: smoothing, loss/accuracy/lr curves, run comparison, parallel coordinates."""

import numpy as np
import plotly.graph_objects as go
import pytest

from figures import (
    accuracy_curve,
    compare_curves,
    loss_curve,
    lr_curve,
    parallel_coordinates,
    smooth,
)
from figures.theme import PALETTE


def message(fig: go.Figure) -> str:
    return fig.layout.annotations[0].text


def arr(values) -> np.ndarray:
    return np.asarray(values, dtype=float)


# --- smooth -------------------------------------------------------------------------------


def test_smooth_is_debiased_so_a_constant_stays_constant():
    np.testing.assert_allclose(smooth([2.0, 2.0, 2.0, 2.0], 0.9), [2.0] * 4)


def test_smooth_matches_hand_computed_ema():
    # step 1: 0.5*1 / (1-0.5) = 1; step 2: (0.25 + 0.5*3) / 0.75 = 7/3
    np.testing.assert_allclose(smooth([1.0, 3.0], 0.5), [1.0, 7 / 3])


def test_smooth_weight_zero_is_identity():
    np.testing.assert_allclose(smooth([3.0, 1.0, 4.0], 0.0), [3.0, 1.0, 4.0])


def test_smooth_skips_nan_and_inf_without_disturbing_the_average():
    out = smooth([1.0, np.nan, 3.0, np.inf], 0.5)
    assert np.isnan(out[1]) and np.isnan(out[3])
    np.testing.assert_allclose(out[[0, 2]], smooth([1.0, 3.0], 0.5))


def test_smooth_empty_and_bad_weight():
    assert smooth([], 0.9).shape == (0,)
    for bad in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            smooth([1.0], bad)


# --- loss_curve ---------------------------------------------------------------------------


def test_loss_curve_traces_and_data():
    steps, losses = np.arange(10), np.linspace(2.3, 0.3, 10)
    fig = loss_curve(steps, losses, [4, 9], [1.2, 0.5], [1.3, 0.6], smoothing=0.6)
    assert [t.name for t in fig.data] == [
        "batch loss",
        "smoothed",
        "train (epoch)",
        "validation (epoch)",
    ]
    assert all(isinstance(t, go.Scatter) for t in fig.data)
    np.testing.assert_allclose(arr(fig.data[0].y), losses)
    np.testing.assert_allclose(arr(fig.data[1].y), smooth(losses, 0.6))
    np.testing.assert_allclose(arr(fig.data[2].x), [4, 9])
    np.testing.assert_allclose(arr(fig.data[3].y), [1.3, 0.6])
    assert fig.data[0].opacity < 0.5 and fig.data[0].line.width < fig.data[1].line.width
    assert "markers" in fig.data[2].mode
    assert fig.layout.xaxis.title.text == "batch"
    assert fig.layout.yaxis.type == "linear"
    assert fig.layout.height == 320


def test_loss_curve_log_axis_and_height():
    fig = loss_curve([0, 1], [1.0, 0.5], log_y=True, height=222)
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.height == 222
    assert len(fig.data) == 2  # no epoch traces when none given


def test_loss_curve_empty_series_shows_message():
    fig = loss_curve([], [])
    assert len(fig.data) == 0
    assert message(fig) == "no training steps yet"


def test_loss_curve_one_point():
    fig = loss_curve([0], [2.3])
    np.testing.assert_allclose(arr(fig.data[1].y), [2.3])


def test_loss_curve_nan_and_inf_become_gaps():
    fig = loss_curve([0, 1, 2], [1.0, np.inf, np.nan])
    y = arr(fig.data[0].y)
    assert y[0] == 1.0 and np.isnan(y[1]) and np.isnan(y[2])


def test_loss_curve_thins_long_runs_but_keeps_the_last_point():
    n = 12_001
    fig = loss_curve(np.arange(n), np.linspace(1, 0, n), max_points=5000)
    x = arr(fig.data[0].x)
    assert len(x) <= 5001 and x[0] == 0 and x[-1] == n - 1
    # smoothing still saw every batch: the thinned smoothed curve is a subset of the full one
    full = smooth(np.linspace(1, 0, n), 0.9)
    np.testing.assert_allclose(arr(fig.data[1].y), full[x.astype(int)])


def test_loss_curve_length_mismatch_raises():
    with pytest.raises(ValueError):
        loss_curve([0, 1], [1.0])
    with pytest.raises(ValueError):
        loss_curve([0, 1], [1.0, 0.5], epoch_steps=[1], train_epoch_loss=[0.4, 0.3])


# --- accuracy_curve -----------------------------------------------------------------------


def test_accuracy_curve_in_percent_with_sensible_range():
    fig = accuracy_curve([1, 2, 3], [0.90, 0.95, 0.97], [0.89, 0.93, 0.96], [0.88, 0.92, 0.955])
    assert [t.name for t in fig.data] == ["train", "validation", "test"]
    np.testing.assert_allclose(arr(fig.data[1].y), [89, 93, 96])
    lo, hi = fig.layout.yaxis.range
    assert lo == 85 and 100 <= hi <= 101  # 88 % - 2, rounded down to a multiple of 5


def test_accuracy_curve_without_test_and_with_low_accuracy():
    fig = accuracy_curve([1, 2], [0.1, 0.5], [0.12, 0.4])
    assert [t.name for t in fig.data] == ["train", "validation"]
    assert fig.layout.yaxis.range[0] == 5


def test_accuracy_curve_range_ignores_nan_and_is_at_most_95_from_below():
    fig = accuracy_curve([1, 2], [np.nan, 0.999], [0.998, np.nan])
    lo, _ = fig.layout.yaxis.range
    assert lo == 95


def test_accuracy_curve_empty_and_one_point():
    assert message(accuracy_curve([], [], [])) == "no finished epochs yet"
    fig = accuracy_curve([1], [0.5], [0.5])
    np.testing.assert_allclose(arr(fig.data[0].y), [50])


# --- lr_curve -----------------------------------------------------------------------------


def test_lr_curve():
    fig = lr_curve([0, 1, 2], [0.1, 0.05, 0.01], height=180)
    np.testing.assert_allclose(arr(fig.data[0].y), [0.1, 0.05, 0.01])
    assert fig.layout.height == 180 and fig.layout.xaxis.title.text == "batch"
    assert message(lr_curve([], [])) == "no steps yet"


# --- compare_curves -----------------------------------------------------------------------

RUNS = [
    {"name": "relu", "epochs": [1, 2], "val_acc": [0.9, 0.95], "val_loss": [0.3, 0.2]},
    {"name": "tanh", "epochs": [1, 2], "val_loss": [0.4, 0.3]},  # no val_acc
    {"name": "sigm", "epochs": [1, 2, 3], "val_acc": [0.8, 0.85, 0.87], "val_loss": [1, 0.8, 0.7]},
]


def test_compare_curves_colour_is_position_in_run_list():
    acc = compare_curves(RUNS, "val_acc")
    assert [t.name for t in acc.data] == ["relu", "sigm"]
    assert [t.line.color for t in acc.data] == [PALETTE[0], PALETTE[2]]  # tanh keeps slot 1
    np.testing.assert_allclose(arr(acc.data[1].y), [80, 85, 87])
    loss = compare_curves(RUNS, "val_loss")
    assert [t.line.color for t in loss.data] == list(PALETTE[:3])
    np.testing.assert_allclose(arr(loss.data[0].y), [0.3, 0.2])  # losses not scaled
    assert acc.layout.yaxis.title.text == "validation accuracy (%)"


def test_compare_curves_empty():
    assert message(compare_curves([], "val_acc")) == "no runs to compare"
    assert message(compare_curves([{"name": "x", "epochs": []}], "val_acc")) == "no runs to compare"


# --- parallel_coordinates -----------------------------------------------------------------


def test_parallel_coordinates_codes_categories_and_keeps_numbers():
    rows = [
        {"lr": 0.1, "activation": "relu", "optimizer": "adam", "test_acc": 0.97},
        {"lr": 0.01, "activation": "tanh", "optimizer": "sgd", "test_acc": 0.93},
        {"lr": 0.05, "activation": "relu", "optimizer": "sgd", "test_acc": 0.95},
    ]
    fig = parallel_coordinates(rows, ["lr", "activation", "optimizer", "test_acc"])
    (pc,) = fig.data
    assert isinstance(pc, go.Parcoords)
    lr, act, opt, acc = pc.dimensions
    np.testing.assert_allclose(arr(lr.values), [0.1, 0.01, 0.05])
    assert lr.ticktext is None
    assert list(act.ticktext) == ["relu", "tanh"] and list(act.values) == [0, 1, 0]
    assert list(opt.tickvals) == [0, 1] and list(opt.values) == [0, 1, 1]
    np.testing.assert_allclose(arr(pc.line.color), [0.97, 0.93, 0.95])
    assert fig.layout.title.text == "Runs by hyper-parameter"


def test_parallel_coordinates_empty_and_incomplete_rows():
    assert message(parallel_coordinates([], ["lr"])) == "no finished runs yet"
    rows = [{"lr": 0.1, "test_acc": 0.9}, {"lr": 0.2}, {"lr": None, "test_acc": 0.8}]
    fig = parallel_coordinates(rows, ["lr"])
    np.testing.assert_allclose(arr(fig.data[0].dimensions[0].values), [0.1])
    assert "1 of 3 runs" in fig.layout.title.text
    assert message(parallel_coordinates([{"lr": 0.1}], ["lr"])) == "no run has all of these values"


def test_parallel_coordinates_numpy_scalars_count_as_numbers():
    rows = [
        {"hidden": np.int64(128), "test_acc": np.float64(0.9)},
        {"hidden": np.int64(64), "test_acc": np.float32(0.8)},
    ]
    dim = parallel_coordinates(rows, ["hidden"]).data[0].dimensions[0]
    assert dim.ticktext is None
    np.testing.assert_allclose(arr(dim.values), [128, 64])


def test_parallel_coordinates_bool_is_categorical_and_single_category_has_room():
    rows = [{"bn": True, "test_acc": 0.9}, {"bn": True, "test_acc": 0.8}]
    dim = parallel_coordinates(rows, ["bn"]).data[0].dimensions[0]
    assert list(dim.ticktext) == ["True"] and list(dim.range) == [-1, 1]
