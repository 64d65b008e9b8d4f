"""Learning-rate schedules by name: a pure function of (base lr, epoch, total epochs, config)."""

from __future__ import annotations

import math
from collections.abc import Callable

Schedule = Callable[[float, int, int, int, float], float]


def constant(base, epoch, epochs, step_every, gamma):
    return base


def step(base, epoch, epochs, step_every, gamma):
    return base * gamma ** (epoch // step_every)


def cosine(base, epoch, epochs, step_every, gamma):
    # Decays to zero over the run; epoch counts from 0 so the first epoch uses the full rate.
    return 0.5 * base * (1.0 + math.cos(math.pi * epoch / max(epochs, 1)))


SCHEDULES: dict[str, Schedule] = {"constant": constant, "step": step, "cosine": cosine}
