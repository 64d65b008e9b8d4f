"""A drawing becomes a digit the way MNIST (and the 8×8 digits) were made: synthetic strokes."""

import numpy as np
import pytest

from netlib import drawing as pp
from netlib.data.catalog import load_dataset

SIZE = 280  # the canvas


def canvas(opaque: bool = False) -> np.ndarray:
    """An empty RGBA canvas: transparent (as the drawable canvas sends it) or painted white."""
    rgba = np.zeros((SIZE, SIZE, 4), np.uint8)
    if opaque:
        rgba[:] = (255, 255, 255, 255)
    return rgba


def stroke(rgba: np.ndarray, rows: slice, cols: slice, color=(0, 0, 0)) -> np.ndarray:
    rgba[rows, cols] = (*color, 255)
    return rgba


def ink_bounds(img: np.ndarray) -> tuple[int, int]:
    """Height and width of the non-zero part."""
    top, bottom, left, right = pp.ink_box(img, 0)
    return bottom - top, right - left


@pytest.mark.parametrize("opaque", [False, True])
def test_a_drawn_vertical_bar_is_fitted_in_20x20_and_centred_by_mass(opaque):
    rgba = stroke(canvas(opaque), slice(40, 240), slice(60, 80))  # 200 tall, 20 wide, off-centre
    digit = pp.mnist_style(pp.ink_from_rgba(rgba))
    assert digit.shape == (28, 28)
    assert digit.max() == pytest.approx(1.0) and digit.min() >= 0.0
    cy, cx = pp.center_of_mass(digit)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    h, w = ink_bounds(digit)
    assert h == 20 and w == 2  # longer side 20, aspect 10:1 kept


def test_a_horizontal_bar_keeps_its_aspect_too():
    rgba = stroke(canvas(), slice(200, 240), slice(20, 180))  # 40 tall, 160 wide: 1:4
    digit = pp.mnist_style(pp.ink_from_rgba(rgba))
    h, w = ink_bounds(digit)
    assert (h, w) == (5, 20)
    cy, cx = pp.center_of_mass(digit)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_a_lopsided_digit_stays_whole_inside_the_field():
    rgba = canvas()
    stroke(rgba, slice(20, 260), slice(100, 110))  # a thin stem
    stroke(rgba, slice(230, 260), slice(20, 260))  # and a heavy foot: mass far down
    digit = pp.mnist_style(pp.ink_from_rgba(rgba))
    assert digit.sum() == pytest.approx(pp.fit_in_box(pp.ink_from_rgba(rgba), 20).sum())
    assert ink_bounds(digit) == (20, 20)


def test_a_real_mnist_digit_drawn_large_comes_back_as_itself():
    ds = load_dataset("mnist-sample")
    checked = 0
    for i in range(10):
        original = ds.test_images[i].astype(float) / 255
        if max(ink_bounds(original)) != 20:  # MNIST's box is 20 by the longer side
            continue
        big = np.kron(original, np.ones((10, 10)))  # as if drawn on a 280×280 canvas
        rgba = np.zeros((280, 280, 4), np.uint8)
        rgba[..., 3] = np.rint(big * 255).astype(np.uint8)
        again = pp.mnist_style(pp.ink_from_rgba(rgba))
        assert np.corrcoef(again.ravel(), original.ravel())[0, 1] > 0.99
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("opaque", [False, True])
def test_an_empty_canvas_is_no_digit(opaque):
    ink = pp.ink_from_rgba(canvas(opaque))
    assert ink.max() == 0
    assert pp.mnist_style(ink) is None
    assert pp.drawing_to_image(ink, (28, 28), 255) is None
    assert pp.drawing_to_image(ink, (8, 8), 16) is None


def test_ink_is_read_whatever_the_pen_and_background_colours():
    transparent = stroke(canvas(), slice(10, 20), slice(10, 20), color=(255, 0, 0))
    white_on_black = np.zeros((SIZE, SIZE, 4), np.uint8)
    white_on_black[..., 3] = 255
    stroke(white_on_black, slice(10, 20), slice(10, 20), color=(255, 255, 255))
    black_on_white = stroke(canvas(opaque=True), slice(10, 20), slice(10, 20))
    for rgba in (transparent, white_on_black, black_on_white):
        ink = pp.ink_from_rgba(rgba)
        assert ink[15, 15] == 1.0 and ink[100, 100] == 0.0 and ink.sum() == 100
    with pytest.raises(ValueError, match="RGBA"):
        pp.ink_from_rgba(np.zeros((5, 5)))


def test_area_resize_averages_exactly():
    rng = np.random.default_rng(0)
    img = rng.random((12, 8))
    blocks = img.reshape(3, 4, 2, 4).mean(axis=(1, 3))
    np.testing.assert_allclose(pp.area_resize(img, 3, 2), blocks)
    odd = pp.area_resize(img, 5, 3)  # non-integer factors: the mean is kept
    assert odd.mean() == pytest.approx(img.mean())
    np.testing.assert_allclose(pp.area_resize(np.full((7, 5), 0.3), 20, 11), 0.3)
    with pytest.raises(ValueError):
        pp.area_resize(img, 0, 3)


def test_center_of_mass_uses_pixel_centres():
    img = np.zeros((5, 5))
    img[1, 3] = 1.0
    img[3, 3] = 1.0
    assert pp.center_of_mass(img) == (2.0, 3.0)


def test_an_8x8_run_gets_an_8x8_digit_with_values_0_to_16():
    rgba = stroke(canvas(), slice(40, 240), slice(60, 140))  # 200 × 80: 5:2
    image = pp.drawing_to_image(pp.ink_from_rgba(rgba), (8, 8), 16)
    assert image.shape == (8, 8) and image.dtype == np.uint8
    assert image.max() == 16 and image.min() == 0
    h, w = ink_bounds(image)
    assert h == 8 and 3 <= w <= 4  # fills the frame's height, aspect kept to a pixel
    assert (image[:, 0] == 0).all() and (image[:, -1] == 0).all()  # centred


def test_a_28x28_run_gets_the_mnist_digit_in_0_to_255():
    rgba = stroke(canvas(), slice(40, 240), slice(60, 80))
    ink = pp.ink_from_rgba(rgba)
    image = pp.drawing_to_image(ink, (28, 28), 255)
    assert image.dtype == np.uint8 and image.max() == 255
    np.testing.assert_array_equal(image, np.rint(pp.mnist_style(ink) * 255))
