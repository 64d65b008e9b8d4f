"""Training health (issue 21): per layer, the numbers that say a network is learning badly
before its loss does, and plain warnings from them.

- dead units: ReLU units (or channels) never active on a probe batch;
- saturated units: sigmoid outputs within 0.05 of 0 or 1, tanh within 0.05 of ±1 (their
  gradient is nearly zero there);
- the gradient's norm and the update-to-weight ratio ||ΔW|| / ||W|| (about 1e-3 is healthy;
  1e-1 means the steps are too large, 1e-6 that nothing moves);
- activation mean and std.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SATURATION = 0.05
DEAD_WARNING = 0.5  # a share of dead units worth a warning
SATURATED_WARNING = 0.5
RATIO_HIGH, RATIO_LOW = 1e-1, 1e-6


def _units(acts: np.ndarray) -> np.ndarray:
    """(samples, units): a conv layer's channels are its units (every position pooled)."""
    a = np.asarray(acts)
    if a.ndim == 4:
        return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])
    return a.reshape(len(a), -1)


def dead_fraction(acts: np.ndarray) -> float:
    """Share of units whose output is 0 (or below) for every probe sample and position."""
    u = _units(acts)
    return float((u.max(axis=0) <= 0).mean()) if u.size else 0.0


def saturated_fraction(acts: np.ndarray, activation: str) -> float:
    """Share of unit outputs in the flat ends of a sigmoid or tanh (0 for other activations)."""
    a = np.asarray(acts, np.float64)
    if activation == "sigmoid":
        flat = (a < SATURATION) | (a > 1 - SATURATION)
    elif activation == "tanh":
        flat = np.abs(a) > 1 - SATURATION
    else:
        return 0.0
    return float(flat.mean()) if a.size else 0.0


def update_ratio(before: np.ndarray, after: np.ndarray) -> float:
    """||after − before|| / ||before|| (inf when before is all zeros and something moved)."""
    b = np.asarray(before, np.float64)
    d = float(np.linalg.norm(np.asarray(after, np.float64) - b))
    n = float(np.linalg.norm(b))
    return d / n if n > 0 else (0.0 if d == 0 else float("inf"))


@dataclass(frozen=True)
class LayerHealth:
    name: str
    dead: float
    saturated: float
    grad_norm: float
    update_ratio: float
    act_mean: float
    act_std: float


def layer_health(name, acts, activation, grad, before, after) -> LayerHealth:
    a = np.asarray(acts, np.float64)
    dead = dead_fraction(a) if activation in ("relu",) else 0.0
    return LayerHealth(
        name, dead, saturated_fraction(a, activation), float(np.linalg.norm(grad)),
        update_ratio(before, after), float(a.mean()), float(a.std()),
    )  # fmt: skip


def warnings(history: list[list[LayerHealth]]) -> list[str]:
    """Plain warnings from the per-epoch health of each layer (history[epoch][layer]), each
    saying since when and what to try."""
    out: list[str] = []
    if not history:
        return out
    last = history[-1]
    for j, layer in enumerate(last):
        since = _since(history, j, lambda h: h.dead >= DEAD_WARNING)
        if since is not None:
            out.append(
                f"{layer.dead:.0%} of {layer.name}'s units are dead since epoch {since}: lower "
                "the learning rate or use leaky ReLU."
            )
        since = _since(history, j, lambda h: h.saturated >= SATURATED_WARNING)
        if since is not None:
            out.append(
                f"{layer.saturated:.0%} of {layer.name}'s outputs are saturated since epoch "
                f"{since}: use Xavier initialisation, a smaller learning rate, or ReLU."
            )
        if layer.update_ratio > RATIO_HIGH:
            out.append(f"{layer.name}'s weights change by {layer.update_ratio:.0%} a step: "
                       "lower the learning rate.")  # fmt: skip
        elif 0 < layer.update_ratio < RATIO_LOW:
            out.append(f"{layer.name}'s weights barely move ({layer.update_ratio:.1e} a step): "
                       "raise the learning rate.")  # fmt: skip
    return out


def _since(history, j: int, bad) -> int | None:
    """The first epoch (1-based) of the run of bad epochs that reaches the last one."""
    if not bad(history[-1][j]):
        return None
    e = len(history)
    while e > 1 and bad(history[e - 2][j]):
        e -= 1
    return e
