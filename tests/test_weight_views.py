"""The weight views of any network: deeper convolutions as filter tiles, dense layers as
matrices, in layer order."""

from __future__ import annotations

import numpy as np

from app import weight_views
from netlib import confusions, layer_stack, nets
from netlib.network import MLP


def test_deeper_convolutions_are_tiles_of_their_channel_mean_and_dense_layers_matrices():
    rng = np.random.default_rng(0)
    net = layer_stack.build("conv4k3 conv6k3 pool2 dense8", (1, 12, 12), 10, "relu", "he", rng)
    ((name, matrix, tile),) = nets.deeper_filter_tiles(net)
    w = net.layers[2].W  # (6, 4, 3, 3)
    assert tile == (3, 3) and matrix.shape == (9, 6)
    np.testing.assert_allclose(matrix[:, 5], w[5].mean(axis=0).ravel())
    figs = weight_views.deeper_figures(net)
    assert [key for key, _ in figs] == [name, *[n for n, _ in nets.dense_matrices(net)]]
    conv_fig, dense_fig, out_fig = (make() for _, make in figs)
    assert conv_fig.layout.title.text.startswith(
        f"{name} filters (mean over input channels): 6 of 6"
    )
    assert np.asarray(dense_fig.data[0].z).shape == (6 * 4 * 4, 8)  # flattened 6×4×4 -> 8
    assert np.asarray(out_fig.data[0].z).shape == (8, 10)


def test_an_mlp_and_a_single_layer_stack_have_no_deeper_filters():
    mlp = MLP.create([16, 8, 10], "relu", "he", np.random.default_rng(1))
    assert nets.deeper_filter_tiles(mlp) == []
    assert len(weight_views.deeper_figures(mlp)) == 1  # its 8 -> 10 matrix
    one = layer_stack.build("conv4k3", (1, 8, 8), 10, "relu", "he", np.random.default_rng(2))
    assert [key for key, _ in weight_views.deeper_figures(one)] == [
        n for n, _ in nets.dense_matrices(one)
    ]


def test_histograms_include_batch_norm_scales_shifts_and_running_statistics():
    rng = np.random.default_rng(3)
    net = layer_stack.build("conv4k3 bn pool2 dense8 bn", (1, 8, 8), 10, "relu", "he", rng)
    names = [name for name, _ in nets.histogram_arrays(net)]
    assert names[: len(nets.weight_arrays(net))] == [n for n, _ in nets.weight_arrays(net)]
    stats = names[len(nets.weight_arrays(net)) :]
    assert sorted(stats) == sorted(
        f"{i}.batchnorm.{k}"
        for i in (1, 6)
        for k in ("gamma", "beta", "running_mean", "running_var")
    )
    fig = weight_views.histogram_figure(net)
    assert len(fig.data) == len(names)


def test_with_a_probe_batch_the_histograms_add_each_hidden_layers_activations():
    rng = np.random.default_rng(4)
    net = layer_stack.build("conv4k3 pool2 dense8:tanh", (1, 8, 8), 10, "relu", "he", rng)
    probe = rng.random((5, 64)).astype(np.float32)
    acts = confusions.activation_values(net, probe)
    assert [name for name, _ in acts] == ["1.relu activations", "5.tanh activations"]
    assert acts[0][1].size == 5 * 4 * 6 * 6 and acts[0][1].min() >= 0  # ReLU outputs
    assert np.abs(acts[1][1]).max() <= 1  # tanh outputs
    fig = weight_views.histogram_figure(net, probe)
    notes = [a.text for a in fig.layout.annotations]
    assert notes[-1] == f"5.tanh activations ({5 * 8:,} activations)"
    assert notes[0].endswith("weights)") and fig.layout.title.text.endswith("on 5 test images")
    mlp = MLP.create([64, 8, 10], "sigmoid", "xavier", rng)
    ((name, values),) = confusions.activation_values(mlp, probe)
    assert name == "hidden layer 1 activations" and values.size == 40
