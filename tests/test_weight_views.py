"""The weight views of any network: deeper convolutions as filter tiles, dense layers as
matrices, in layer order."""

from __future__ import annotations

import numpy as np

from app import weight_views
from netlib import layer_stack, nets
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
