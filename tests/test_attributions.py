"""Attributions (issue 20): integrated gradients add up to the margin's change (completeness),
occlusion finds what a constructed network looks at, SmoothGrad is the gradient for a linear
network and seeded otherwise; each for MLPs and convolutional stacks."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import attributions as at
from netlib import metrics, nets
from netlib.config import NetConfig
from netlib.network import MLP

SHAPE = (8, 8)


def network(**kw):
    config = NetConfig(dataset="digits-8x8", dtype="float64", **kw)
    return nets.create(config, SHAPE, 10, np.random.default_rng(3))


NETWORKS = {
    "relu mlp": dict(hidden=(24, 12), activation="relu", init="he"),
    "sigmoid mlp": dict(hidden=(16,), activation="sigmoid", init="xavier"),
    "conv stack": dict(layers="conv4k3 pool2 dense16", activation="relu", init="he"),
}


def linear(diff: np.ndarray) -> MLP:
    """No hidden layer: logit_4 − logit_9 = diff · x exactly."""
    w = np.zeros((64, 10))
    w[:, 4] = diff
    return MLP([w], [np.zeros(10)], "relu")


def image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(64)


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("baseline", ["black", "mean"])
def test_integrated_gradients_add_up_to_the_margin_change_within_one_percent(name, baseline):
    net = network(**NETWORKS[name])
    x = image(1)
    base = at.baseline_image(baseline, x, mean_digit=np.full(64, 0.3))
    ig = at.integrated_gradients(net, x, 4, 9, baseline=base)
    logits = net.forward(np.stack([x, base]))[0]
    assert ig.target == pytest.approx((logits[0, 4] - logits[0, 9]) - (logits[1, 4] - logits[1, 9]))
    assert ig.complete, (ig.gap, ig.steps)
    assert abs(ig.attributions.sum() - ig.target) <= 0.01 * abs(ig.target)


def test_integrated_gradients_of_a_linear_network_are_input_times_weight():
    diff = np.random.default_rng(5).normal(size=64)
    x = image(2)
    ig = at.integrated_gradients(linear(diff), x, 4, 9, steps=1)
    np.testing.assert_allclose(ig.attributions, x * diff, rtol=1e-12)
    assert ig.steps == 1 and ig.gap < 1e-12


def test_too_few_steps_are_doubled_until_complete():
    """(A ReLU network with zero biases is positively homogeneous: one step is exact there.)"""
    net = network(**NETWORKS["sigmoid mlp"])
    ig = at.integrated_gradients(net, image(3), 4, 9, steps=1)
    assert ig.complete and ig.steps > 1


def test_occlusion_finds_the_patch_a_constructed_network_reads():
    """The 4-vs-9 margin is the sum of the top-left 4x4 block: occluding that block (and only
    it) drops the margin by its 16 lit pixels."""
    diff = np.zeros(SHAPE)
    diff[:4, :4] = 1.0
    x = np.ones(64)
    drop = at.occlusion(linear(diff.reshape(-1)), x, SHAPE, 4, 9, patch=4, stride=4)
    expected = np.zeros(SHAPE)
    expected[:4, :4] = 16.0
    np.testing.assert_allclose(drop, expected)


def test_overlapping_patches_average_the_drops_that_cover_each_pixel():
    """One pixel alone carries the margin: every 2x2 patch on it drops the margin by 1 and
    the others by 0, so each pixel shows the share of its covering patches that held it."""
    diff = np.zeros(SHAPE)
    diff[3, 3] = 1.0
    drop = at.occlusion(linear(diff.reshape(-1)), np.ones(64), SHAPE, 4, 9, patch=2, stride=1)
    assert drop[3, 3] == pytest.approx(1.0)  # all four patches covering it contain it
    assert drop[2, 2] == pytest.approx(0.25)  # one of the four covering (2, 2) holds (3, 3)
    assert drop[0, 0] == 0 and drop[7, 7] == 0


def test_occlusion_refuses_patches_that_do_not_fit():
    with pytest.raises(ValueError, match="patch 9"):
        at.occlusion(linear(np.ones(64)), np.ones(64), SHAPE, 4, 9, patch=9)


def test_smoothgrad_of_a_linear_network_is_its_gradient_and_is_seeded_otherwise():
    diff = np.random.default_rng(7).normal(size=64)
    np.testing.assert_allclose(at.smoothgrad(linear(diff), image(), 4, 9), diff, rtol=1e-12)
    net = network(**NETWORKS["conv stack"])
    first = at.smoothgrad(net, image(), 4, 9, seed=1)
    np.testing.assert_array_equal(first, at.smoothgrad(net, image(), 4, 9, seed=1))
    assert not np.array_equal(first, at.smoothgrad(net, image(), 4, 9, seed=2))
    plain = metrics.saliency(net, image()[None, :], 4, 9).reshape(-1)
    np.testing.assert_allclose(at.smoothgrad(net, image(), 4, 9, sigma=0.0), plain, rtol=1e-10)


def test_a_mean_baseline_needs_the_mean_image():
    with pytest.raises(ValueError, match="mean image"):
        at.baseline_image("mean", image())
    with pytest.raises(ValueError, match="use black or mean"):
        at.baseline_image("white", image())


@pytest.mark.parametrize("name", [*NETWORKS, "batch norm"])
def test_a_float32_network_in_float64_gives_the_same_outputs(name):
    kw = NETWORKS.get(name, dict(layers="conv3k3 bn pool2 dense8", activation="relu"))
    config = NetConfig(dataset="digits-8x8", dtype="float32", **kw)
    net = nets.create(config, SHAPE, 10, np.random.default_rng(3))
    twin = nets.in_float64(net, config, SHAPE)
    x = image(4)[None, :]
    assert twin.dtype == np.float64 and net.dtype == np.float32
    np.testing.assert_allclose(twin.forward(x)[0], net.forward(x.astype(np.float32))[0], rtol=1e-5)
