"""The embedding map's math (issue 20): the 4↔9 axis against a hand computation, PCA on a
known spread, Procrustes undoing a rotation and a reflection."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.embedding import aligned_maps, pair_axis, pca_2d, procrustes


def test_the_pair_axis_matches_a_hand_computation():
    # Centroid of the 4s: (0, 0); of the 9s: (2, 0). A sample at (1, 3) sits half-way.
    features = np.array([[0, 1], [0, -1], [2, 1], [2, -1], [1, 3]], float)
    labels = np.array([4, 4, 9, 9, 1])
    x, y = pair_axis(features, labels, 4, 9)
    np.testing.assert_allclose(x, [0, 0, 1, 1, 0.5])
    # What is left off the line is the second coordinate: 1, -1, 1, -1, 3 minus their mean 0.6
    np.testing.assert_allclose(np.abs(y), np.abs([0.4, -1.6, 0.4, -1.6, 2.4]))


def test_the_pair_axis_needs_both_classes_apart():
    features = np.ones((4, 3))
    with pytest.raises(ValueError, match="samples of both 4 and 9"):
        pair_axis(features, np.array([4, 4, 1, 1]), 4, 9)
    with pytest.raises(ValueError, match="same centroid"):
        pair_axis(features, np.array([4, 4, 9, 9]), 4, 9)


def test_pca_puts_the_widest_spread_first():
    rng = np.random.default_rng(0)
    f = np.column_stack([rng.normal(0, 10, 500), rng.normal(0, 1, 500), rng.normal(0, 0.1, 500)])
    m = pca_2d(f)
    assert m.shape == (500, 2)
    assert m[:, 0].std() == pytest.approx(10, rel=0.1)
    assert m[:, 1].std() == pytest.approx(1, rel=0.1)
    assert abs(np.corrcoef(m[:, 0], f[:, 0])[0, 1]) > 0.99


def test_procrustes_undoes_a_rotation_and_a_reflection():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(50, 2))
    angle = 0.7
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = ref @ rotate @ np.diag([1, -1]) + [5, -3]
    np.testing.assert_allclose(procrustes(ref, moved), ref, atol=1e-10)
    maps = aligned_maps([ref, moved, moved @ np.diag([-1, 1])])
    np.testing.assert_allclose(maps[2], ref, atol=1e-10)
    with pytest.raises(ValueError, match="differ"):
        procrustes(ref, ref[:10])


def test_layer_features_are_each_layers_outputs_flattened():
    from netlib import nets
    from netlib.config import NetConfig
    from netlib.embedding import layer_choices, layer_features

    config = NetConfig(dataset="digits-8x8", layers="conv2k3 dense5", dtype="float64")
    net = nets.create(config, (8, 8), 10, np.random.default_rng(0))
    x = np.random.default_rng(1).random((7, 64))
    names = layer_choices(net, x[0])
    assert names[0] == "input (pixels)" and names[-1] == "output (logits)"
    assert layer_features(net, x, -1).shape == (7, 64)
    np.testing.assert_allclose(layer_features(net, x, len(names) - 2), net.forward(x)[0], rtol=1e-6)
    first = layer_features(net, x, 0, chunk=3)  # chunks give the same rows
    np.testing.assert_allclose(first, layer_features(net, x, 0, chunk=100))
    assert first.shape[0] == 7 and first.shape[1] % 2 == 0  # two channels' maps, flattened
