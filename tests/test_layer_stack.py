"""netlib.layer_stack: architecture specs built into a stack of layers, checked whole --
finite-difference gradients through the loss, determinism, state round trips, saliency, and
the fully connected special case against today's MLP."""

from __future__ import annotations

import numpy as np
import pytest

from netlib import architecture as arch
from netlib.layer_stack import LayerStack, build
from netlib.layers import Activation, BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D
from netlib.losses import LOSSES
from netlib.network import MLP
from netlib.optimizers import make_optimizer

EPS = 1e-5
TOL = 1e-6
ZERO = 1e-9
CNN = "conv3k3 bn pool2 conv4k3same dropout0.3 dense5 bn"


def _rel_error(numeric, analytic):
    """Worst elementwise |n - a| / (|n| + |a|); gradients that are zero in theory (a bias
    followed by batch norm) come out as rounding noise and are compared absolutely."""
    diff = np.abs(numeric - analytic)
    denom = np.abs(numeric) + np.abs(analytic)
    err = np.where(denom > ZERO, diff / np.maximum(denom, ZERO), diff / ZERO * TOL)
    return float(np.max(err))


def _data(n=6, shape=(1, 8, 8), classes=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape)), rng.integers(0, classes, n)


def _loss_fn(stack, x, y, loss_name, train=True, dropout_seed=7):
    loss = LOSSES[loss_name]

    def run():
        stack.set_dropout_rng(np.random.default_rng(dropout_seed))  # the same mask every call
        logits, caches = stack.forward(x, train)
        value, dlogits = loss.value_and_grad(logits, y)
        return value, dlogits, caches

    return run


def _numeric(f, array, eps=EPS):
    grad = np.zeros_like(array)
    flat, out = array.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        plus = f()
        flat[j] = old - eps
        minus = f()
        flat[j] = old
        out[j] = (plus - minus) / (2 * eps)
    return grad


# ---- building --------------------------------------------------------------------------------
def test_build_inserts_flatten_activations_after_bn_and_the_output_layer():
    stack = build("conv6k5same:tanh bn pool2 conv16k5 dense120 bn dropout0.5 dense84:sigmoid",
                  (1, 28, 28), 10, "relu", "he", np.random.default_rng(0))  # fmt: skip
    kinds = [
        (type(layer).__name__, getattr(layer, "name", None))
        for layer in stack.layers
        if type(layer) is not Dropout
    ]
    assert kinds == [
        ("Conv2D", None), ("BatchNorm", None), ("Activation", "tanh"), ("MaxPool2D", None),
        ("Conv2D", None), ("Activation", "relu"), ("Flatten", None), ("Dense", None),
        ("BatchNorm", None), ("Activation", "relu"), ("Dense", None), ("Activation", "sigmoid"),
        ("Dense", None),
    ]  # fmt: skip
    assert stack.layers[-1].units == 10 and stack.layers[7].W.shape == (16 * 10 * 10, 120)
    x = np.random.default_rng(1).standard_normal((3, 784)).astype(np.float32)
    logits, _ = stack.forward(x, train=True)  # flat rows are seen as images
    assert logits.shape == (3, 10) and logits.dtype == np.float32
    assert all(p.dtype == np.float32 for p in stack.params())
    # The summary delegates to architecture.summary; parameter counts agree.
    assert stack.summary().params == sum(p.size for p in stack.params())
    assert "output:softmax" in stack.format_summary()


def test_an_image_left_at_the_end_is_flattened_and_no_hidden_layer_is_softmax_regression():
    stack = build("conv2k3 pool2", (1, 8, 8), 4, rng=np.random.default_rng(0))
    assert [type(layer) for layer in stack.layers] == [
        Conv2D, Activation, MaxPool2D, Flatten, Dense,
    ]  # fmt: skip
    plain = build([], (64,), 4, rng=np.random.default_rng(0))
    assert [type(layer) for layer in plain.layers] == [Dense]
    assert stack.logits(np.zeros((0, 64))).shape == (0, 4)


def test_architectures_that_do_not_fit_raise_architecture_errors_naming_the_token():
    with pytest.raises(arch.ArchitectureError, match="token 2 'conv8k7'"):
        build("pool2 conv8k7", (1, 8, 8), 10)
    with pytest.raises(arch.ArchitectureError, match="activation"):
        build("dense4", (4,), 2, activation="swish")


# ---- gradients -------------------------------------------------------------------------------
@pytest.mark.parametrize("loss_name", ["cross_entropy", "mse", "log_loss"])
def test_whole_stack_gradients_match_finite_differences(loss_name):
    """conv -> bn -> pool -> conv(same) -> dropout (fixed mask) -> dense -> bn -> output, in
    train mode (batch statistics), float64, through each loss of netlib.losses."""
    x, y = _data()
    stack = build(CNN, (1, 8, 8), 3, "tanh", "he", np.random.default_rng(0), "float64")
    for layer in stack.layers:  # non-trivial scale and shift so their gradients mean something
        if isinstance(layer, BatchNorm):
            rng = np.random.default_rng(3)
            layer.gamma[:] = rng.uniform(0.5, 1.5, layer.gamma.shape)
            layer.beta[:] = rng.uniform(-0.5, 0.5, layer.beta.shape)
    run = _loss_fn(stack, x, y, loss_name)
    _, dlogits, caches = run()
    grads, dx = stack.backward(caches, dlogits)
    assert dx is None
    assert [g.shape for g in grads] == [p.shape for p in stack.params()]
    for name, param in stack.named_params().items():
        numeric = _numeric(lambda: run()[0], param)
        assert _rel_error(numeric, stack.grads_by_name(grads)[name]) < TOL, name


def test_l2_adds_to_conv_and_dense_weights_only_and_matches_the_penalty():
    x, y = _data()
    stack = build("conv2k3 bn dense4", (1, 8, 8), 3, "tanh", rng=np.random.default_rng(0),
                  dtype="float64")  # fmt: skip
    l2 = 0.3
    run = _loss_fn(stack, x, y, "cross_entropy")

    def total():
        return run()[0] + stack.l2_penalty(l2)

    _, dlogits, caches = run()
    grads, _ = stack.backward(caches, dlogits, l2)
    for name, param in stack.named_params().items():
        assert _rel_error(_numeric(total, param), stack.grads_by_name(grads)[name]) < TOL, name


@pytest.mark.parametrize("text", ["conv3k3 pool2 conv2k2s2 dense4", "conv2k3s2same bn dense4"])
def test_input_gradient_saliency_through_convolutions(text):
    x, y = _data(n=3)
    stack = build(text, (1, 8, 8), 3, "tanh", "he", np.random.default_rng(2), "float64")
    run = _loss_fn(stack, x, y, "cross_entropy", train=False)
    _, dlogits, caches = run()
    grads, dx = stack.backward(caches, dlogits, input_grad=True)
    assert dx.shape == x.shape
    assert _rel_error(_numeric(lambda: run()[0], x), dx) < TOL
    # Saliency of one logit (the UI's "what makes this a 2"): d logit_2 / d input.
    flat = x.reshape(3, 64)  # flat rows in, gradient out in the same flat shape
    logits, caches = stack.forward(flat)
    pick = np.zeros_like(logits)
    pick[:, 2] = 1.0
    _, dflat = stack.backward(caches, pick, input_grad=True)
    assert dflat.shape == flat.shape
    numeric = _numeric(lambda: float(stack.forward(flat)[0][:, 2].sum()), flat)
    assert _rel_error(numeric, dflat) < TOL
    # Asking for the input gradient changes no parameter gradient and leaves the flags as set.
    grads_plain, none = stack.backward(stack.forward(x)[1], dlogits)
    assert none is None
    for a, b in zip(grads, grads_plain, strict=True):
        np.testing.assert_array_equal(a, b)
    assert [layer.need_input_grad for layer in stack.layers][0] is False


def test_the_first_layer_and_parameterless_layers_before_it_compute_no_input_gradient():
    stack = build("pool2 conv2k3 dense4", (1, 8, 8), 3, rng=np.random.default_rng(0))
    pool, conv = stack.layers[0], stack.layers[1]
    assert not pool.need_input_grad and not conv.need_input_grad
    assert all(layer.need_input_grad for layer in stack.layers[2:])
    calls = []
    original = pool.backward
    pool.backward = lambda cache, dy: calls.append(1) or original(cache, dy)
    x, y = _data(n=2)
    logits, caches = stack.forward(x.astype(np.float32), True)
    stack.backward(caches, LOSSES["cross_entropy"].value_and_grad(logits, y)[1])
    assert calls == []


# ---- the fully connected special case --------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_dense64_with_an_mlps_weights_gives_the_mlps_logits_and_gradients(activation):
    rng = np.random.default_rng(5)
    mlp = MLP.create([64, 64, 10], activation, "he", np.random.default_rng(0), "float64")
    stack = build(arch.from_hidden((64,)), (64,), 10, activation, "xavier", rng, "float64")
    dense = [layer for layer in stack.layers if isinstance(layer, Dense)]
    for layer, w, b in zip(dense, mlp.weights, mlp.biases, strict=True):
        layer.W[:] = w
        layer.b[:] = b
    x = rng.standard_normal((300, 64))
    np.testing.assert_allclose(stack.logits(x, batch=128), mlp.logits(x), rtol=1e-12, atol=1e-12)
    y = rng.integers(0, 10, 300)
    loss = LOSSES["cross_entropy"]
    mlp_logits, mlp_cache = mlp.forward(x)
    mlp_grads, mlp_dx = mlp.backward(mlp_cache, loss.value_and_grad(mlp_logits, y)[1], 0.01, True)
    logits, caches = stack.forward(x, train=True)
    grads, dx = stack.backward(caches, loss.value_and_grad(logits, y)[1], 0.01, True)
    for a, b in zip(grads, mlp_grads, strict=True):  # the same (W0, b0, W1, b1) order
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, mlp_dx, rtol=1e-10, atol=1e-12)
    assert stack.l2_penalty(0.01) == pytest.approx(mlp.l2_penalty(0.01), rel=1e-12)


def test_dense_stacks_draw_the_mlps_initial_weights_from_the_same_seed():
    mlp = MLP.create([784, 32, 16, 10], "relu", "he", np.random.default_rng(9), "float32")
    stack = build(arch.from_hidden((32, 16)), (784,), 10, "relu", "he",
                  np.random.default_rng(9), "float32")  # fmt: skip
    for a, b in zip(stack.params(), mlp.params(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).standard_normal((50, 784)).astype(np.float32)
    np.testing.assert_allclose(stack.logits(x), mlp.logits(x), rtol=1e-5, atol=1e-5)


def test_params_are_what_the_optimizers_update_in_place():
    x, y = _data(n=16)
    stack = build("conv3k3 bn pool2 dense8", (1, 8, 8), 3, rng=np.random.default_rng(0))
    x = x.astype(np.float32)
    optimizer = make_optimizer("adam")
    params = stack.params()
    losses = []
    for _ in range(30):
        logits, caches = stack.forward(x, True)
        value, dlogits = LOSSES["cross_entropy"].value_and_grad(logits, y)
        losses.append(value)
        grads, _ = stack.backward(caches, dlogits)
        optimizer.step(stack.params(), grads, 0.01)
    assert all(a is b for a, b in zip(params, stack.params(), strict=True))
    assert losses[-1] < 0.5 * losses[0]
    assert all(g.dtype == np.float32 for g in grads)


# ---- determinism, copies and state -----------------------------------------------------------
def _trained(seed, text=CNN):
    stack = build(text, (1, 8, 8), 3, "relu", "he", np.random.default_rng(seed))
    x, y = _data(n=8)
    x = x.astype(np.float32)
    optimizer = make_optimizer("momentum")
    for _ in range(5):
        logits, caches = stack.forward(x, True)
        _, dlogits = LOSSES["cross_entropy"].value_and_grad(logits, y)
        optimizer.step(stack.params(), stack.backward(caches, dlogits)[0], 0.05)
    return stack, x


def test_same_seed_gives_bit_identical_weights_dropout_masks_and_outputs():
    a, x = _trained(4)
    b, _ = _trained(4)
    c, _ = _trained(5)
    sa, sb = a.state(), b.state()
    assert list(sa) == list(sb)
    for name in sa:
        assert sa[name].tobytes() == sb[name].tobytes(), name
    assert a.logits(x).tobytes() == b.logits(x).tobytes()
    assert a.forward(x, True)[0].tobytes() == b.forward(x, True)[0].tobytes()  # same masks
    assert any(sa[name].tobytes() != c.state()[name].tobytes() for name in sa)


def test_state_round_trip_gives_identical_predictions_with_running_statistics(tmp_path):
    trained, x = _trained(4)
    state = trained.state()
    names = [name for name in state if "running" in name]
    assert names == ["1.batchnorm.running_mean", "1.batchnorm.running_var",
                     "9.batchnorm.running_mean", "9.batchnorm.running_var"]  # fmt: skip
    assert not np.allclose(state["1.batchnorm.running_var"], 1.0)  # training moved them
    np.savez(tmp_path / "model.npz", **state)
    with np.load(tmp_path / "model.npz") as saved:
        loaded = {name: saved[name] for name in saved.files}
    fresh = build(CNN, (1, 8, 8), 3, "relu", "he", np.random.default_rng(99))
    assert fresh.logits(x).tobytes() != trained.logits(x).tobytes()
    fresh.load_state(loaded)
    assert fresh.logits(x).tobytes() == trained.logits(x).tobytes()
    # state() is a copy: training on does not change what was saved.
    trained.forward(x, True)
    assert (
        state["1.batchnorm.running_mean"].tobytes() == loaded["1.batchnorm.running_mean"].tobytes()
    )
    assert (
        trained.buffers()["1.batchnorm.running_mean"].tobytes()
        != state["1.batchnorm.running_mean"].tobytes()
    )


def test_load_state_refuses_states_that_do_not_fit():
    stack = build("conv3k3 bn dense4", (1, 8, 8), 3, rng=np.random.default_rng(0))
    state = stack.state()
    with pytest.raises(ValueError, match="missing"):
        stack.load_state({k: v for k, v in state.items() if "running_var" not in k})
    with pytest.raises(ValueError, match="unknown"):
        stack.load_state({**state, "9.dense.W": np.zeros(1)})
    wrong = dict(state)
    wrong["0.conv.W"] = np.zeros((2, 1, 3, 3))
    with pytest.raises(ValueError, match="0.conv.W"):
        stack.load_state(wrong)


def test_copy_is_independent():
    stack, x = _trained(4)
    twin = stack.copy()
    assert isinstance(twin, LayerStack)
    assert twin.logits(x).tobytes() == stack.logits(x).tobytes()
    stack.params()[0][...] = 0.0
    stack.forward(x, True)  # moves the original's running statistics only
    assert twin.logits(x).tobytes() != stack.logits(x).tobytes()
    assert twin.params()[0].any()


def test_outputs_gives_every_layers_feature_maps():
    stack = build("conv3k3 pool2 dense5", (1, 8, 8), 3, rng=np.random.default_rng(0))
    x = _data(n=2)[0].astype(np.float32)
    outs = stack.outputs(x)
    assert [a.shape for _, a in outs] == [(2, 3, 6, 6), (2, 3, 6, 6), (2, 3, 3, 3), (2, 27),
                                          (2, 5), (2, 5), (2, 3)]  # fmt: skip
    np.testing.assert_array_equal(outs[-1][1], stack.logits(x))
