"""Turn arrays from any source into the canonical uint8 images / int64 labels, or say why not.

Every parser funnels through here so the rules (and the error wording) are the same whether
the data came from IDX, CSV, .npz or a download.

Pixel rule for non-uint8 data: integers must already be 0..255; floats must be finite and
>= 0, and are read as 0..1 (scaled by 255) when their maximum is <= 1, else as 0..255;
both are rounded to the nearest integer. Booleans become 0/255.
"""

from __future__ import annotations

import math

import numpy as np

from netlib.data.dataset import DataError

MAX_CLASSES = 100  # more than any digit/letter set; a pixel column mistaken for labels trips it
# Limits on what any file may declare, checked before the pixels are decoded, so that a small
# compressed file cannot make a parser allocate gigabytes. Full MNIST (70,000 x 28 x 28 = 55 M
# pixels) and EMNIST letters (145,600 images) fit; a 1x1-pixel "data set" of 50 M rows does not.
MIN_SIDE = 2  # a 1x1 "image" is a number, not an image
MAX_SIDE = 1024  # images larger than this are not handwritten digits
MAX_IMAGES = 1_000_000
MAX_PIXELS = 2**27  # all images of one file, as uint8 bytes (128 MB)


def as_images(array: object, what: str = "images") -> np.ndarray:
    """Return uint8 (N, H, W) C-contiguous; flat (N, H*W) rows and (N, H, W, 1) are accepted."""
    a = np.asarray(array)
    if a.ndim == 4 and a.shape[3] == 1:
        a = a[..., 0]
    if a.ndim == 2 and a.shape[0] > 0:
        side = math.isqrt(a.shape[1])
        if side * side != a.shape[1] or side == 0:
            raise DataError(
                f"{what}: each row has {a.shape[1]} pixels, which is not a square image size"
            )
        a = a.reshape(a.shape[0], side, side)
    if a.ndim != 3:
        raise DataError(f"{what}: expected shape (N, H, W), got {a.shape}")
    n, h, w = a.shape
    if n == 0:
        raise DataError(f"{what}: the file holds no images")
    if h != w:
        raise DataError(f"{what}: images are {h}x{w}; only square images are supported")
    check_side(h, what)
    check_count(n, h * w, what)
    return np.ascontiguousarray(_to_uint8(a, what))


def check_side(side: int, what: str) -> None:
    if not MIN_SIDE <= side <= MAX_SIDE:
        raise DataError(f"{what}: image side {side} is outside {MIN_SIDE}..{MAX_SIDE}")


def check_count(n: int, pixels: int, what: str) -> None:
    """Refuse n images of `pixels` pixels each when they exceed the limits (before decoding)."""
    if n > MAX_IMAGES:
        raise DataError(f"{what}: {n:,} images is over the limit of {MAX_IMAGES:,}")
    if n * pixels > MAX_PIXELS:
        raise DataError(
            f"{what}: {n:,} images of {pixels:,} pixels is {n * pixels / 2**20:,.0f} MB "
            f"decoded, over the {MAX_PIXELS / 2**20:.0f} MB limit; upload fewer or smaller images"
        )


def check_declared_shape(shape: tuple[int, ...], what: str) -> None:
    """A declared array shape (IDX or .npy header): first axis = count, the rest = one item."""
    if not shape:
        return
    check_count(int(shape[0]), math.prod(int(d) for d in shape[1:]), what)


class PixelStream:
    """Float pixel rows arriving in blocks -> uint8, with exactly the rule of _to_uint8.

    The rule depends on the maximum over the whole file (<= 1 means 0..1 scaled by 255), so
    while every value seen is <= 1 both readings are kept, as uint8 (a few bytes a pixel, never
    the float64 table of the whole file).
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.as_255: list[np.ndarray] = []
        self.as_unit: list[np.ndarray] | None = []
        self.lo, self.hi = math.inf, -math.inf

    def add(self, block: np.ndarray, first_row: int) -> None:
        """Append a (rows, pixels) float64 block; first_row numbers its first row for messages."""
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            row = first_row + int(np.flatnonzero(~finite)[0])
            raise DataError(f"{self.what}: pixel values are NaN or infinite (first in row {row})")
        if block.size == 0:
            return
        lo, hi = float(block.min()), float(block.max())
        if lo < 0 or hi > 255:
            bad = (block < 0).any(axis=1) | (block > 255).any(axis=1)
            row = first_row + int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{self.what}: pixel values must be in [0, 1] or [0, 255], found {lo}..{hi} "
                f"(first in row {row})"
            )
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)
        self.as_255.append(np.rint(block).astype(np.uint8))
        if self.hi > 1.0:
            self.as_unit = None
        elif self.as_unit is not None:
            self.as_unit.append(np.rint(block * 255.0).astype(np.uint8))

    def result(self) -> np.ndarray:
        parts = self.as_unit if self.as_unit is not None else self.as_255
        self.as_255, self.as_unit = [], None
        return np.concatenate(parts) if parts else np.zeros((0, 0), np.uint8)


def _to_uint8(a: np.ndarray, what: str) -> np.ndarray:
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.bool_:
        return a.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 255:
            raise DataError(f"{what}: pixel values must be 0..255, found {lo}..{hi}")
        return a.astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        bad = int(np.count_nonzero(~np.isfinite(a)))
        if bad:
            raise DataError(f"{what}: {bad} pixel values are NaN or infinite")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0 or hi > 255:
            raise DataError(f"{what}: pixel values must be in [0, 1] or [0, 255], found {lo}..{hi}")
        scaled = a.astype(np.float64) * (255.0 if hi <= 1.0 else 1.0)
        return np.rint(scaled).astype(np.uint8)
    raise DataError(f"{what}: unsupported pixel type {a.dtype}; use integers or floats")


def as_labels(array: object, what: str = "labels", max_classes: int = MAX_CLASSES) -> np.ndarray:
    """Return int64 (N,) labels in 0..max_classes-1, naming the first bad label if any."""
    a = np.asarray(array)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise DataError(f"{what}: expected a 1-D array of labels, got shape {a.shape}")
    if a.size == 0:
        raise DataError(f"{what}: the file holds no labels")
    if a.dtype == np.bool_:
        a = a.astype(np.int64)
    if np.issubdtype(a.dtype, np.floating):
        bad = np.flatnonzero(~np.isfinite(a) | (a != np.round(a)))
        if bad.size:
            i = int(bad[0])
            raise DataError(f"{what}: label {a[i]} at index {i} is not an integer")
    elif not np.issubdtype(a.dtype, np.integer):
        raise DataError(f"{what}: unsupported label type {a.dtype}; use integers")
    neg = np.flatnonzero(a < 0)
    if neg.size:
        i = int(neg[0])
        raise DataError(f"{what}: label {_num(a[i])} at index {i} is negative; labels are 0..K-1")
    big = np.flatnonzero(a >= max_classes)
    if big.size:
        i = int(big[0])
        raise DataError(
            f"{what}: label {_num(a[i])} at index {i} means too many classes "
            f"(at most {max_classes})"
        )
    return np.ascontiguousarray(a.astype(np.int64))


def _num(value: object) -> str:
    """Show 3.0 as 3: float labels reach here only when they are whole numbers."""
    f = float(value)  # type: ignore[arg-type]
    return str(int(f)) if f.is_integer() else str(f)


def as_pair(images: object, labels: object, what: str = "data") -> tuple[np.ndarray, np.ndarray]:
    """Validate images and labels together: same count, canonical types."""
    x = as_images(images, f"{what} images")
    y = as_labels(labels, f"{what} labels")
    if len(x) != len(y):
        raise DataError(f"{what}: {len(x)} images but {len(y)} labels; the counts must match")
    return x, y
