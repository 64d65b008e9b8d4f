"""Surgery (issue 21) on constructed networks whose answer is known, and on copies only."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import nets, surgery
from netlib.config import NetConfig
from netlib.network import MLP


def linear_net() -> MLP:
    """Two inputs, two classes: logit_0 = 3 x0, logit_1 = 1 x0 + 2 x1 (the 1 is the smallest)."""
    w = np.array([[3.0, 1.0], [0.0, 2.0]])
    return MLP([w], [np.zeros(2)], "relu")


def test_pruning_the_smallest_weight_changes_exactly_the_samples_it_decided():
    x = np.array([[1.0, 1.2], [1.0, 0.8], [0.0, 1.0], [1.0, 0.0]])
    net = linear_net()
    before = net.logits(x).argmax(axis=1)  # 3 vs 3.4 -> 1; 3 vs 2.6 -> 0; 0 vs 2 -> 1; 3 vs 1 -> 0
    pruned = surgery.prune(net, 0.5)  # the two smallest |w|: 0 (already) and the 1
    assert pruned.weights[0].tolist() == [[3.0, 0.0], [0.0, 2.0]]
    after = pruned.logits(x).argmax(axis=1)  # 3 vs 2.4 -> 0: only sample 0 changes
    assert np.flatnonzero(before != after).tolist() == [0]
    assert net.weights[0][0, 1] == 1.0  # the original is untouched


def test_pruning_takes_exactly_the_asked_share_per_layer_or_globally():
    config = NetConfig(dataset="digits-8x8", hidden=(10,), activation="relu")
    net = nets.create(config, (8, 8), 10, np.random.default_rng(0))
    by_layer = surgery.prune(net, 0.3, per_layer=True)
    assert [int((w == 0).sum()) for w in by_layer.weights] == [
        round(0.3 * w.size) for w in net.weights
    ]
    overall = surgery.prune(net, 0.3, per_layer=False)
    total = sum(w.size for w in net.weights)
    assert sum(int((w == 0).sum()) for w in overall.weights) == round(0.3 * total)
    with pytest.raises(ValueError, match="use 0..1"):
        surgery.prune(net, 1.5)


def test_a_switched_off_unit_outputs_nothing_in_a_dense_and_a_conv_network():
    mlp = nets.create(NetConfig(dataset="digits-8x8", hidden=(6,), activation="relu"), (8, 8),
                      10, np.random.default_rng(1))  # fmt: skip
    x = np.random.default_rng(2).random((5, 64)).astype(mlp.dtype)
    active = np.flatnonzero(mlp.hidden_activations(x)[0].max(axis=0) > 0)[:2]
    assert len(active) == 2, "the test needs two units that fire"
    hidden = surgery.switch_off(mlp, 0, active).hidden_activations(x)[0]
    assert (hidden[:, active] == 0).all()
    cnn = nets.create(NetConfig(dataset="digits-8x8", layers="conv3k3 dense8", activation="relu"),
                      (8, 8), 10, np.random.default_rng(3))  # fmt: skip
    maps = surgery.switch_off(cnn, 0, [2]).outputs(x)[1][1]  # the conv's activation
    assert (maps[:, 2] == 0).all()


def test_no_noise_and_a_scale_of_one_leave_the_outputs_as_they_were():
    net = linear_net()
    x = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(surgery.add_noise(net, 0.0).logits(x), net.logits(x))
    np.testing.assert_array_equal(surgery.scale_layer(net, 0, 1.0).logits(x), net.logits(x))
    np.testing.assert_array_equal(surgery.scale_layer(net, 0, 2.0).logits(x), 2 * net.logits(x))


def test_the_pruning_curve_starts_at_the_clean_accuracy_and_ends_at_nothing_learned():
    net = linear_net()
    x = np.array([[1.0, 1.2], [1.0, 0.8]])
    labels = np.array([1, 0])
    curve = surgery.pruning_curve(net, x, labels, [0.0, 1.0])
    assert curve[0] == 1.0 and curve.shape == (2,)
