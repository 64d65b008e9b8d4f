"""The insight primitives on layer stacks: margin gradients at any unit layer (checked against
finite differences in float64), per-channel contributions, saliency and feature maps."""

import numpy as np
import pytest

from netlib import confusions, metrics
from netlib.layer_stack import build

LAYERS = "conv3k3same bn pool2 conv4k3:tanh avgpool2 dense6 dropout0.2 dense5:sigmoid"


@pytest.fixture(scope="module")
def net():
    rng = np.random.default_rng(0)
    # tanh, not relu: no dead units tied at 0 inside a max-pool window (a kink, where a
    # central difference sees half a one-sided slope)
    stack = build(LAYERS, (1, 10, 10), 4, "tanh", "he", rng, "float64")
    for name, buf in stack.buffers().items():  # non-trivial running statistics
        buf[...] = (
            rng.uniform(0.2, 1.5, buf.shape) if "var" in name else rng.normal(0, 0.3, buf.shape)
        )
    return stack


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(1).random((3, 100))


def _margin(net, x, a, b):
    logits = net.logits(x)
    return logits[:, a] - logits[:, b]


def _perturbed_margin(net, x, index, unit, eps, a, b):
    """The margin with layer `index`'s output nudged at one flat position, by running the
    layers above it by hand (eval mode)."""
    act = net._shape_input(x)
    for layer in net.layers[: index + 1]:
        act, _ = layer.forward(act, False)
    act = act.copy()
    flat = act.reshape(len(act), -1)
    flat[:, unit] += eps
    for layer in net.layers[index + 1 :]:
        act, _ = layer.forward(act, False)
    return act[:, a] - act[:, b]


@pytest.mark.parametrize("which", [0, 1, 2, 3])
def test_margin_gradient_at_every_unit_layer_matches_finite_differences(net, x, which):
    index = net.unit_layers()[which]
    h, grad = confusions.first_layer_margin_gradient(net, x, 1, 3, layer=index)
    assert h.shape == grad.shape == (3, *net.summary_shapes()[index])
    flat_grad = grad.reshape(3, -1)
    rng = np.random.default_rng(2)
    for unit in rng.choice(flat_grad.shape[1], size=min(6, flat_grad.shape[1]), replace=False):
        eps = 1e-6
        up = _perturbed_margin(net, x, index, unit, eps, 1, 3)
        down = _perturbed_margin(net, x, index, unit, -eps, 1, 3)
        numeric = (up - down) / (2 * eps)
        err = np.abs(numeric - flat_grad[:, unit]) / np.maximum(
            1e-8, np.abs(numeric) + np.abs(flat_grad[:, unit])
        )
        assert (err < 1e-6).all() or np.allclose(numeric, flat_grad[:, unit], atol=1e-9), err


def test_channel_contributions_are_the_sums_of_their_maps(net, x):
    conv_act = net.unit_layers()[0]
    maps = confusions.contribution_maps(net, x, 0, 2, layer=conv_act)
    per_channel = confusions.unit_contributions(net, x, 0, 2, layer=conv_act)
    assert maps.shape == (3, 3, 10, 10) and per_channel.shape == (3, 3)
    np.testing.assert_allclose(per_channel, maps.sum(axis=(2, 3)))
    dense_act = net.unit_layers()[2]
    assert confusions.unit_contributions(net, x, 0, 2, layer=dense_act).shape == (3, 6)
    with pytest.raises(ValueError, match="not one of the unit layers"):
        confusions.unit_contributions(net, x, 0, 2, layer=0)


def test_the_default_unit_layer_is_the_first_convolutions_channels(net, x):
    first = confusions.unit_contributions(net, x, 0, 2)
    np.testing.assert_array_equal(
        first, confusions.unit_contributions(net, x, 0, 2, net.unit_layers()[0])
    )
    labels = np.array([0, 2, 0])
    units = confusions.separating_units(net, x, labels, 0, 2, top=2)
    assert units is not None and len(units.units) == 2 and set(units.units) <= {0, 1, 2}


def test_saliency_through_convolutions_matches_finite_differences(net, x):
    sal = metrics.saliency(net, x, 2, 0)
    assert sal.shape == x.shape
    for pixel in (0, 37, 99):
        eps = 1e-6
        up, down = x.copy(), x.copy()
        up[:, pixel] += eps
        down[:, pixel] -= eps
        numeric = (_margin(net, up, 2, 0) - _margin(net, down, 2, 0)) / (2 * eps)
        np.testing.assert_allclose(sal[:, pixel], numeric, rtol=1e-6, atol=1e-9)


def test_feature_maps_and_draw_activations_of_one_input(net, x):
    maps = confusions.feature_maps(net, x[0])
    assert len(maps) == len(net.layers)
    assert maps[0][0].startswith("0. conv (3×10×10)") and maps[0][1].shape == (3, 10, 10)
    np.testing.assert_allclose(maps[-1][1], net.logits(x[:1])[0])
    proba, acts = confusions.explain_input(net, x[0])
    assert proba.shape == (4,) and np.isclose(proba.sum(), 1)
    assert [a.shape for a in acts] == [(3, 10, 10), (4, 3, 3), (6,), (5,)]
    assert net.describe_layer(net.unit_layers()[1]) == "conv4k3:tanh (4×3×3)"
