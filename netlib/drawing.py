"""Turn a drawing into a digit the way the training data were made, in plain NumPy.

MNIST (LeCun et al.): each digit was size-normalised to fit a 20×20 box keeping its aspect
ratio (anti-aliasing gives grey levels), then placed in a 28×28 field so that its centre of
mass sits at the centre. The 8×8 digits (UCI optdigits): a 32×32 bitmap of the digit filling
the frame, each 4×4 block counted, giving 0–16. Resampling is exact area averaging: every
output pixel is the mean of the input area it covers.
"""

from __future__ import annotations

import numpy as np

INK_THRESHOLD = 0.1  # ink below this (anti-aliased fringes, canvas noise) is not part of a stroke


def ink_from_rgba(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 canvas pixels → (H, W) ink in [0, 1], whatever the pen colour.

    A canvas with a transparent background draws ink as opacity. When every pixel is opaque
    (the background was painted in), ink is how far each colour is from the background
    colour, taken as the median colour of the border pixels.
    """
    img = np.asarray(rgba)
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 4) RGBA image, got shape {img.shape}")
    img = img.astype(np.float64) / 255.0
    if img.shape[2] == 4 and img[..., 3].min() < img[..., 3].max():
        return img[..., 3]
    rgb = img[..., :3]
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0)
    return np.abs(rgb - background).max(axis=2)


def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) weights: output pixel i averages the input span [i, i + 1) · n_in / n_out."""
    scale = n_in / n_out
    lo = (np.arange(n_out) * scale)[:, None]
    hi = lo + scale
    k = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, k + 1) - np.maximum(lo, k), 0.0, None)
    return overlap / scale


def area_resize(img: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a 2-D array by area averaging (rows of the weights sum to 1: the mean is kept)."""
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 2 or min(img.shape) < 1 or height < 1 or width < 1:
        raise ValueError(f"cannot resize an image of shape {img.shape} to {height}×{width}")
    return _area_matrix(img.shape[0], height) @ img @ _area_matrix(img.shape[1], width).T


def ink_box(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) bounds (bottom/right exclusive) of the strokes; None if blank."""
    on = np.asarray(ink) > threshold
    if not on.any():
        return None
    rows, cols = np.flatnonzero(on.any(axis=1)), np.flatnonzero(on.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def fit_in_box(ink: np.ndarray, box: int) -> np.ndarray | None:
    """The strokes cropped and resized so the longer side is `box` pixels, aspect kept.

    Values are scaled so the darkest pixel is 1. None for a blank drawing.
    """
    bounds = ink_box(ink)
    if bounds is None:
        return None
    top, bottom, left, right = bounds
    crop = np.clip(np.asarray(ink, dtype=np.float64)[top:bottom, left:right], 0.0, 1.0)
    h, w = crop.shape
    scale = box / max(h, w)
    small = area_resize(crop, max(1, round(h * scale)), max(1, round(w * scale)))
    return small / small.max()


def center_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean pixel position (pixel centres at integers)."""
    img = np.asarray(img, dtype=np.float64)
    total = img.sum()
    rows, cols = np.arange(img.shape[0]), np.arange(img.shape[1])
    return float(img.sum(axis=1) @ rows / total), float(img.sum(axis=0) @ cols / total)


def mnist_style(ink: np.ndarray, size: int = 28, box: int = 20) -> np.ndarray | None:
    """A drawing as an MNIST digit: (size, size) in [0, 1], max 1; None for a blank drawing.

    Fit in a box×box square keeping the aspect ratio, then shift by whole pixels so the centre
    of mass lands on pixel (size/2, size/2) = (14, 14), as in MNIST (whose test digits have
    their centre of mass at 14.0 ± 0.3). A digit whose mass is far off its centre is kept
    whole: the shift stops at the edge of the field.
    """
    digit = fit_in_box(ink, box)
    if digit is None:
        return None
    h, w = digit.shape
    cy, cx = center_of_mass(digit)
    top = int(np.clip(np.floor(size / 2 - cy + 0.5), 0, size - h))
    left = int(np.clip(np.floor(size / 2 - cx + 0.5), 0, size - w))
    out = np.zeros((size, size))
    out[top : top + h, left : left + w] = digit
    return out


def fill_frame(ink: np.ndarray, shape: tuple[int, int], supersample: int = 4) -> np.ndarray | None:
    """A drawing filling a small frame (the 8×8 digits): (H, W) in [0, 1], max 1; None if blank.

    Like optdigits: fit the strokes in a frame `supersample` times finer (longer side filling
    it, aspect kept, centred), then average supersample × supersample blocks.
    """
    h, w = shape
    digit = fit_in_box(ink, min(h, w) * supersample)
    if digit is None:
        return None
    big = np.zeros((h * supersample, w * supersample))
    dh, dw = digit.shape
    top, left = (big.shape[0] - dh) // 2, (big.shape[1] - dw) // 2
    big[top : top + dh, left : left + dw] = digit
    out = big.reshape(h, supersample, w, supersample).mean(axis=(1, 3))
    return out / out.max()


def drawing_to_image(
    ink: np.ndarray, image_shape: tuple[int, int], max_value: int
) -> np.ndarray | None:
    """A drawing as one more image of the data set: uint8 (H, W) in 0..max_value; None if blank.

    Frames of 16 pixels or more (MNIST-like) get MNIST's box and centre of mass, scaled to the
    frame; smaller ones (8×8 digits) get the strokes filling the frame.
    """
    h, w = (int(s) for s in image_shape)
    if min(h, w) >= 16:
        side = min(h, w)
        digit = mnist_style(ink, side, max(1, round(side * 20 / 28)))
        if digit is not None and (h, w) != (side, side):
            padded = np.zeros((h, w))
            top, left = (h - side) // 2, (w - side) // 2
            padded[top : top + side, left : left + side] = digit
            digit = padded
    else:
        digit = fill_frame(ink, (h, w))
    if digit is None:
        return None
    return np.rint(digit * max_value).astype(np.uint8)
