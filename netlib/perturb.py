"""Perturbed test images for robustness curves (issue 21): Gaussian noise, rotation,
translation, stroke thickness (dilate/erode) and an occluding bar, each vectorised over a batch
of (n, H, W) images in [0, 1], and the accuracy of a network at each strength.

Rotation samples each output pixel bilinearly from the rotated grid (zeros outside), the same
coordinates for the whole batch; thickness is repeated 3x3 max (dilate) or min (erode).
"""

from __future__ import annotations

import numpy as np

from netlib import augment
from netlib.resample import bilinear, rotation_source

KINDS = ("noise", "rotation", "translation", "thickness", "bar")


def noise(images: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    return augment.noise(images, np.random.default_rng(seed), sigma)


def rotate(images: np.ndarray, degrees: float) -> np.ndarray:
    """Counter-clockwise by `degrees` about the centre, as the image is seen (np.rot90's way)."""
    return bilinear(images, *rotation_source(images.shape[1:], np.deg2rad(degrees)))


def translate(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    n, h, w = images.shape
    out = np.zeros_like(images)
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[:, yd, xd] = images[:, ys, xs]
    return out


def thickness(images: np.ndarray, steps: int) -> np.ndarray:
    """steps > 0: dilate that many times (thicker strokes); < 0: erode (thinner)."""
    out = np.asarray(images, np.float64)
    pick = np.maximum if steps > 0 else np.minimum
    fill = 0.0 if steps > 0 else 1.0
    for _ in range(abs(int(steps))):
        padded = np.pad(out, ((0, 0), (1, 1), (1, 1)), constant_values=fill)
        h, w = out.shape[1:]
        result = padded[:, 1 : h + 1, 1 : w + 1].copy()
        for dy in (0, 1, 2):
            for dx in (0, 1, 2):
                result = pick(result, padded[:, dy : dy + h, dx : dx + w])
        out = result
    return out


def bar(images: np.ndarray, width: int, vertical: bool = False) -> np.ndarray:
    """A blank bar of `width` pixels across the middle (horizontal, or vertical)."""
    out = np.array(images, np.float64, copy=True)
    size = out.shape[2] if vertical else out.shape[1]
    start = max(0, (size - int(width)) // 2)
    if vertical:
        out[:, :, start : start + int(width)] = 0.0
    else:
        out[:, start : start + int(width), :] = 0.0
    return out


def perturbed(images: np.ndarray, kind: str, level: float, seed: int = 0) -> np.ndarray:
    if kind == "noise":
        return noise(images, level, seed)
    if kind == "rotation":
        return rotate(images, level)
    if kind == "translation":
        return translate(images, 0, int(round(level)))
    if kind == "thickness":
        return thickness(images, int(round(level)))
    if kind == "bar":
        return bar(images, int(round(level)))
    raise ValueError(f"perturbation {kind!r}: use one of {', '.join(KINDS)}")


def robustness_curve(net, images, labels, kind: str, levels, seed: int = 0) -> np.ndarray:
    """Test accuracy at each strength of one perturbation (images in [0, 1], (n, H, W))."""
    images = np.asarray(images, np.float64)
    out = []
    for level in levels:
        x = perturbed(images, kind, level, seed).reshape(len(images), -1).astype(net.dtype)
        out.append(float((np.asarray(net.logits(x)).argmax(axis=1) == labels).mean()))
    return np.array(out)
