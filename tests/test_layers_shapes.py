"""output_shape (per sample, no batch axis) agrees with what forward actually returns."""

from __future__ import annotations

import numpy as np
import pytest

from netlib.activations import ACTIVATIONS
from netlib.layers import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    ShapeError,
)

LENET_LIKE = [
    Conv2D(6, 5, padding="same"),
    Activation("relu"),
    MaxPool2D(2),
    Conv2D(16, 5),
    BatchNorm(),
    Activation("relu"),
    AvgPool2D(2),
    Flatten(),
    Dense(120),
    Dropout(0.5),
    Dense(84),
    BatchNorm(),
    Activation("tanh"),
    Dense(10),
]
EXPECTED = [
    (6, 28, 28),
    (6, 28, 28),
    (6, 14, 14),
    (16, 10, 10),
    (16, 10, 10),
    (16, 10, 10),
    (16, 5, 5),
    (400,),
    (120,),
    (120,),
    (84,),
    (84,),
    (84,),
    (10,),
]


@pytest.mark.parametrize("train", [True, False])
def test_a_lenet_like_stack_reports_the_shapes_forward_produces(train):
    rng = np.random.default_rng(0)
    shape, built = (1, 28, 28), []
    for layer in LENET_LIKE:
        predicted = layer.output_shape(shape)
        shape = layer.build(shape, rng)
        assert shape == predicted
        built.append(shape)
    assert built == EXPECTED
    x = rng.normal(size=(3, 1, 28, 28)).astype(np.float32)
    caches = []
    for layer, expected in zip(LENET_LIKE, EXPECTED, strict=True):
        x, cache = layer.forward(x, train)
        caches.append(cache)
        assert x.shape == (3, *expected) and x.dtype == np.float32, layer
    dy = np.ones_like(x)
    for layer, cache, shape in zip(
        reversed(LENET_LIKE), reversed(caches), [(1, 28, 28), *EXPECTED][-2::-1], strict=True
    ):
        dy, grads = layer.backward(cache, dy)
        assert dy.shape == (3, *shape) and dy.dtype == np.float32, layer
        assert grads.keys() == layer.params().keys()


@pytest.mark.parametrize(
    "layer",
    [
        Conv2D(3, k, stride=s, padding=p)
        for k in (1, 2, 3)
        for s in (1, 2)
        for p in ("valid", "same")
    ]
    + [MaxPool2D(2), MaxPool2D(3), AvgPool2D(2), AvgPool2D(3), Flatten(), BatchNorm()],
    ids=repr,
)
@pytest.mark.parametrize("hw", [(7, 7), (8, 9), (3, 4)])
def test_output_shape_matches_forward_for_odd_and_even_sizes(layer, hw):
    shape = (2, *hw)
    layer.build(shape, np.random.default_rng(0), "float64")
    y, _ = layer.forward(np.zeros((2, *shape)), train=True)
    assert y.shape[1:] == layer.output_shape(shape)


def test_parameter_free_layers_have_no_parameters_and_the_base_interface():
    for layer in (Flatten(), Activation("relu"), Dropout(0.2), MaxPool2D(2), AvgPool2D(2)):
        assert isinstance(layer, Layer)
        assert layer.params() == {}
        assert layer.need_input_grad is True


def test_activation_reuses_the_activation_table():
    layer = Activation("relu")
    assert layer._act is ACTIVATIONS["relu"]
    x = np.array([[-1.0, 2.0]])
    y, cache = layer.forward(x, train=True)
    np.testing.assert_array_equal(y, ACTIVATIONS["relu"].forward(x))
    np.testing.assert_array_equal(layer.backward(cache, np.ones_like(x))[0], [[0.0, 1.0]])
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Activation("swish")


def test_dense_needs_a_flat_input_and_says_so():
    assert Dense(10).output_shape((400,)) == (10,)
    with pytest.raises(ShapeError, match=r"Dense\(10\).*Flatten.*\(16, 5, 5\)"):
        Dense(10).output_shape((16, 5, 5))
    with pytest.raises(ValueError):
        Dense(0)
    layer = Dense(7, init="xavier")
    layer.build((5,), np.random.default_rng(0))
    assert layer.W.shape == (5, 7) and layer.W.dtype == np.float32 and not layer.b.any()
