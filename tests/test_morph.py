"""The 4 → 9 morph (issue 20): both paths start and end at the network's own outputs, the
flip sits where a constructed network's margin crosses zero, and the closest pair is found."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import nets
from netlib.config import NetConfig
from netlib.losses import LOSSES
from netlib.morph import closest_pair, forward_from, hidden_layer_names, hidden_morph, pixel_morph
from netlib.network import MLP

NETWORKS = {
    "mlp": dict(hidden=(12, 8), activation="tanh"),
    "conv stack": dict(layers="conv3k3 pool2 dense8", activation="relu"),
}


def network(**kw):
    config = NetConfig(dataset="digits-8x8", dtype="float64", **kw)
    return nets.create(config, (8, 8), 10, np.random.default_rng(2))


def proba(net, x):
    return LOSSES["cross_entropy"].proba(net.forward(np.asarray(x)[None, :])[0])[0]


@pytest.mark.parametrize("name", NETWORKS)
def test_both_paths_start_and_end_at_the_two_samples_outputs(name):
    net = network(**NETWORKS[name])
    rng = np.random.default_rng(0)
    xa, xb = rng.random(64), rng.random(64)
    px = pixel_morph(net, xa, xb, 4, 9, steps=11)
    np.testing.assert_allclose(px.proba[0], proba(net, xa), rtol=1e-10)
    np.testing.assert_allclose(px.proba[-1], proba(net, xb), rtol=1e-10)
    np.testing.assert_allclose(px.images[5], (xa + xb) / 2)
    for layer in range(len(hidden_layer_names(net, xa))):
        hm = hidden_morph(net, xa, xb, 4, 9, layer=layer, steps=5)
        assert hm.images is None
        np.testing.assert_allclose(hm.proba[0], proba(net, xa), rtol=1e-10)
        np.testing.assert_allclose(hm.proba[-1], proba(net, xb), rtol=1e-10)


def test_the_flip_is_where_a_constructed_margin_crosses_zero():
    """logit_4 − logit_9 = 1 at xa and −2 at xb: zero one third of the way, so the first step
    past 1/3 (0.35 of 21 steps) is the first taken for a 9. Other classes are far below."""
    w = np.zeros((2, 10))
    w[0, 4] = 1.0  # x = (1, 0): logit_4 = 1
    w[1, 9] = 2.0  # x = (0, 1): logit_9 = 2
    bias = np.full(10, -100.0)
    bias[[4, 9]] = 0
    net = MLP([w], [bias], "relu")
    morph = pixel_morph(net, np.array([1.0, 0.0]), np.array([0.0, 1.0]), 4, 9, steps=21)
    assert morph.flip == pytest.approx(0.35)
    assert set(morph.top_other.tolist()) <= set(range(10)) - {4, 9}


def test_a_path_that_never_starts_at_a_has_no_flip():
    net = network(**NETWORKS["mlp"])
    x = np.random.default_rng(1).random(64)
    start = int(proba(net, x).argmax())
    other = 9 if start != 9 else 4
    assert pixel_morph(net, x, x, other, start, steps=3).flip is None


def test_forward_from_a_hidden_layer_of_a_stack_matches_the_full_pass():
    net = network(**NETWORKS["conv stack"])
    x = np.random.default_rng(3).random((2, 64))
    outs = net.outputs(x)
    first = sorted(net.unit_layers())[0]
    np.testing.assert_allclose(forward_from(net, 0, outs[first][1]), net.forward(x)[0])


def test_the_closest_pair_is_a_confused_4_and_the_nearest_right_9():
    x = np.array([[0, 0], [5, 5], [1, 0], [4, 4], [0.5, 0]], float)
    labels = np.array([4, 4, 9, 9, 9])
    predicted = np.array([9, 9, 9, 9, 4])  # both 4s taken for 9; the 9 at (0.5, 0) missed
    assert closest_pair(x, labels, predicted, 4, 9) == (0, 2)
    assert closest_pair(x, labels, np.array([4, 4, 9, 9, 9]), 4, 9) is None


def test_steps_out_of_range_and_a_missing_layer_are_refused():
    net = network(**NETWORKS["mlp"])
    x = np.zeros(64)
    with pytest.raises(ValueError, match="steps 1"):
        pixel_morph(net, x, x, 4, 9, steps=1)
    with pytest.raises(ValueError, match="has 2 hidden layers"):
        hidden_morph(net, x, x, 4, 9, layer=2)
