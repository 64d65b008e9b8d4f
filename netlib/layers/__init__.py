"""Layers of a network, one small class per kind, all with the interface in ``base``.

A network is a list of layers built in order from the per-sample input shape (NCHW for
images): ``shape = layer.build(shape, rng, dtype)`` for each. Pure NumPy, like all of netlib.
"""

from netlib.layers.activation import Activation
from netlib.layers.base import Layer, ShapeError
from netlib.layers.batchnorm import BatchNorm
from netlib.layers.conv2d import Conv2D
from netlib.layers.dense import Dense
from netlib.layers.dropout import Dropout
from netlib.layers.flatten import Flatten
from netlib.layers.pooling import AvgPool2D, MaxPool2D

__all__ = [
    "Activation",
    "AvgPool2D",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "ShapeError",
]
