"""Weight initialisers by name; each returns a (fan_in, fan_out) matrix from a seeded generator."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Init = Callable[[np.random.Generator, int, int, float], np.ndarray]


def he(rng, fan_in, fan_out, scale):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)


def xavier(rng, fan_in, fan_out, scale):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def lecun(rng, fan_in, fan_out, scale):
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)


def normal(rng, fan_in, fan_out, scale):
    # The 784-64-10 project's `randn * 0.1`: scale is the config's init_scale.
    return rng.standard_normal((fan_in, fan_out)) * scale


INITIALIZERS: dict[str, Init] = {"he": he, "xavier": xavier, "lecun": lecun, "normal": normal}
