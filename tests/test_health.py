"""Training health (issue 21) on constructed layers whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import health


def test_a_unit_never_active_is_dead_and_a_conv_channel_counts_as_one_unit():
    acts = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 2.0, 0.5, 0.0]])
    assert health.dead_fraction(acts) == 0.5  # units 0 and 3
    maps = np.zeros((2, 3, 4, 4))
    maps[1, 0, 2, 2] = 1.0  # channel 0 fires once, somewhere
    assert health.dead_fraction(maps) == pytest.approx(2 / 3)


def test_saturation_counts_the_flat_ends():
    assert health.saturated_fraction(np.array([0.01, 0.5, 0.99, 0.97]), "sigmoid") == 0.75
    assert health.saturated_fraction(np.array([-0.99, 0.0, 0.5, 0.96]), "tanh") == 0.5
    assert health.saturated_fraction(np.array([5.0]), "relu") == 0.0


def test_the_update_ratio_and_its_edge_cases():
    w = np.array([3.0, 4.0])
    assert health.update_ratio(w, w + [0.003, 0.004]) == pytest.approx(1e-3)
    assert health.update_ratio(np.zeros(2), np.zeros(2)) == 0.0
    assert health.update_ratio(np.zeros(2), np.ones(2)) == float("inf")


def _layer(dead=0.0, saturated=0.0, ratio=1e-3):
    return health.LayerHealth("layer 1", dead, saturated, 1.0, ratio, 0.0, 1.0)


def test_a_warning_says_since_when_and_what_to_try():
    history = [[_layer(dead=0.1)], [_layer(dead=0.1)], [_layer(dead=0.7)], [_layer(dead=0.78)]]
    (w,) = health.warnings(history)
    assert w == ("78% of layer 1's units are dead since epoch 3: lower the learning rate or "
                 "use leaky ReLU.")  # fmt: skip
    assert health.warnings([[_layer()]]) == []
    (big,) = health.warnings([[_layer(ratio=0.5)]])
    assert "lower the learning rate" in big
    (small,) = health.warnings([[_layer(ratio=1e-8)]])
    assert "raise the learning rate" in small
    (sat,) = health.warnings([[_layer(saturated=0.9)]])
    assert "saturated since epoch 1" in sat and "Xavier" in sat


def test_layer_health_reads_a_relu_layer():
    acts = np.array([[0.0, 1.0], [0.0, 3.0]])
    h = health.layer_health("l", acts, "relu", np.array([3.0, 4.0]), np.ones(2), np.ones(2))
    assert (h.dead, h.grad_norm, h.update_ratio) == (0.5, 5.0, 0.0)
    assert h.act_mean == 1.0
