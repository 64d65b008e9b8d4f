"""Every layer's output and margin gradient for one sample (the live feature-map view), and
the confused sample it starts on."""

from __future__ import annotations

import numpy as np

from netlib import confusions, layer_stack, metrics
from netlib.network import MLP


def _stack():
    rng = np.random.default_rng(0)
    return layer_stack.build(
        "conv3k3 pool2 conv4k3same bn dropout0.2 dense8", (1, 12, 12), 10, "tanh", "he", rng,
        "float64",
    )  # fmt: skip


def test_each_layers_gradient_is_what_output_gradient_gives_for_that_layer():
    net = _stack()
    x = np.random.default_rng(1).random((1, 144))
    rows = net.outputs_and_gradients(x, lambda z: metrics.margin_seed(z, 4, 9))
    assert len(rows) == len(net.layers)
    for index, (_layer, out, grad) in enumerate(rows[:-1]):
        want_out, want_grad = net.output_gradient(
            x, metrics.margin_seed(np.zeros((1, 10)), 4, 9), index
        )
        np.testing.assert_allclose(out, want_out, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-12)
    layer, logits, seed = rows[-1]
    np.testing.assert_array_equal(seed, metrics.margin_seed(logits, 4, 9))


def test_the_margin_gradient_at_a_conv_output_matches_finite_differences():
    net = _stack()
    x = np.random.default_rng(2).random((1, 144))
    rows = net.outputs_and_gradients(x, lambda z: metrics.margin_seed(z, 4, 9))
    _, out, grad = rows[1]  # after the first conv's activation

    def margin_from(a):  # run the layers after index 1 on a perturbed output
        for layer in net.layers[2:]:
            a, _ = layer.forward(a, False)
        return float(a[0, 4] - a[0, 9])

    eps, rng = 1e-6, np.random.default_rng(3)
    for _ in range(5):
        idx = tuple(rng.integers(0, n) for n in out.shape)
        up, down = out.copy(), out.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (margin_from(up) - margin_from(down)) / (2 * eps)
        assert abs(numeric - grad[idx]) <= 1e-6 * max(1.0, abs(numeric))


def test_layer_activity_names_the_layers_worth_drawing():
    net = _stack()
    x = np.random.default_rng(4).random(144)
    names = [name for name, _, _ in confusions.layer_activity(net, x, 4, 9)]
    assert not any("flatten" in n or "dropout" in n for n in names)
    assert names[0] == "0. conv (3×10×10)" and names[-1].endswith("(10)")
    mlp = MLP.create([144, 8, 10], "relu", "he", np.random.default_rng(5))
    assert confusions.layer_activity(mlp, x, 4, 9) == []


def test_the_confused_sample_is_a_4_taken_for_a_9_when_there_is_one():
    net = _stack()
    rng = np.random.default_rng(6)
    images = rng.random((300, 144))
    labels = rng.integers(0, 10, 300)
    pred = net.logits(images).argmax(axis=1)
    a = int(labels[0])
    b = int(pred[np.flatnonzero(labels == a)][-1])
    picked = confusions.confused_sample(net, images, labels, a, b)
    assert labels[picked] == a and pred[picked] == b
    assert picked == np.flatnonzero((labels == a) & (pred == b))[0]
    never = next(k for k in range(10) if k != a and not np.any((labels == a) & (pred == k)))
    assert (
        confusions.confused_sample(net, images, labels, a, never) == np.flatnonzero(labels == a)[0]
    )
    assert confusions.confused_sample(net, images, np.full(300, 3), 7, 1) == 0


def test_channel_maps_are_the_first_hidden_layers_chosen_channels():
    net = _stack()
    x = np.random.default_rng(7).random((3, 144))
    maps = confusions.channel_maps(net, x, [2, 0])
    first = net.unit_layers()[0]
    want = net.outputs(x)[first][1][:, [2, 0]]
    assert maps.shape == (3, 2, 10, 10)
    np.testing.assert_array_equal(maps, want)
    dense_first = layer_stack.build(
        "dense8 dense4", (1, 12, 12), 10, "relu", "he", np.random.default_rng(8)
    )
    assert confusions.channel_maps(dense_first, x, [0]) is None
    mlp = MLP.create([144, 8, 10], "relu", "he", np.random.default_rng(9))
    assert confusions.channel_maps(mlp, x, [0]) is None
