"""figures.theme: the shared look, and every public figure using it."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

import figures
from figures.theme import FONT, MARGIN, PALETTE, empty_figure, histogram_bar, run_color, style

ROOT = Path(__file__).resolve().parent.parent


def test_style_sets_font_margins_height_and_title():
    fig = style(go.Figure(), height=123, title="Hello", showlegend=False)
    assert fig.layout.font.family == FONT["family"]
    assert fig.layout.margin.l == MARGIN["l"] and fig.layout.margin.t == MARGIN["t"]
    assert fig.layout.height == 123 and fig.layout.title.text == "Hello"
    assert fig.layout.showlegend is False


def test_empty_figure_has_centred_message_and_no_axes():
    fig = empty_figure("nothing here", height=150, title="T")
    (ann,) = fig.layout.annotations
    assert ann.text == "nothing here" and (ann.x, ann.y) == (0.5, 0.5)
    assert fig.layout.xaxis.visible is False and len(fig.data) == 0
    assert fig.layout.height == 150


def test_run_color_wraps():
    assert run_color(0) == PALETTE[0] and run_color(len(PALETTE) + 1) == PALETTE[1]


def test_histogram_bar_counts_finite_values_only():
    bar = histogram_bar([0.0, 0.1, 0.9, 1.0, np.nan, np.inf], 2, name="h")
    np.testing.assert_array_equal(bar.y, [2, 2])
    np.testing.assert_allclose(bar.x, [0.25, 0.75])
    np.testing.assert_allclose(bar.width, [0.5, 0.5])
    assert len(histogram_bar([np.nan], 5).x) == 0


SAMPLE_CALLS = {
    "loss_curve": lambda f: f([0, 1], [1.0, 0.5]),
    "accuracy_curve": lambda f: f([1], [0.5], [0.4]),
    "lr_curve": lambda f: f([0], [0.1]),
    "compare_curves": lambda f: f([{"name": "a", "epochs": [1], "val_acc": [0.5]}], "val_acc"),
    "parallel_coordinates": lambda f: f([{"lr": 0.1, "test_acc": 0.9}], ["lr"]),
    "weight_tiles": lambda f: f(np.ones((4, 3)), (2, 2)),
    "weight_matrix": lambda f: f(np.ones((3, 2)), "W2"),
    "weight_histograms": lambda f: f([np.ones(5)]),
    "confusion_matrix_figure": lambda f: f(np.eye(3), ["a", "b", "c"]),
    "diff_matrix_figure": lambda f: f(np.eye(2), np.eye(2), ["a", "b"]),
    "confusion_timeline": lambda f: f([1], [2], [3], "a", "b"),
    "image_grid": lambda f: f(np.zeros((2, 3, 3))),
    "class_counts": lambda f: f(["a"], [1], [2]),
    "mean_images": lambda f: f(np.zeros((2, 3, 3)), ["a", "b"]),
    "probability_bars": lambda f: f([0.2, 0.8], ["a", "b"]),
    "saliency_overlay": lambda f: f(np.zeros((3, 3)), np.ones(9)),
    "margin_histogram": lambda f: f([1.0], [-1.0], "a", "b"),
    "activation_bars": lambda f: f([np.ones(3)]),
    "pair_means_figure": lambda f: f(np.zeros((3, 3)), np.ones((3, 3)), "a", "b"),
    "saliency_tiles": lambda f: f(np.zeros((2, 3, 3)), np.ones((2, 9)), ["a", "b"]),
    "receptive_fields": lambda f: f(np.ones((9, 2)), [1, 0], (3, 3), ["u1", "u0"]),
    "stack_diagram": lambda f: f([("input", (1, 4, 4), 0, 0), ("dense8", (8,), 136, 128)]),
    "layer_maps_figure": lambda f: f([("0. conv", np.ones((2, 3, 3)), np.ones((2, 3, 3)))], "m"),
    "seed_bands": lambda f: f({"lr=0.1": {1: [0.5, 0.6]}}, "acc"),
    "objective_by_setting": lambda f: f(
        [{"name": "lr", "log": True}], [{"values": {"lr": 0.1}, "seeds": [0.5]}], "a"
    ),
    "stage_counts": lambda f: f([0, 1, 2], [0, 0, 1], ["a", "b"]),
    "flip_timeline": lambda f: f(np.array([[0, 1, 2]]), [7], "a", "b"),
    "embedding_map": lambda f: f(
        [(1, np.zeros((2, 2))), (2, np.ones((2, 2)))],
        [0, 1],
        ["a", "b"],
        ["x", "y"],
        ("pc1", "pc2"),
        "map",
    ),
    "morph_curves": lambda f: f([0, 1], np.eye(2), 0, 1, ["a", "b"], flip=0.5, at=0.2),
    "attribution_maps": lambda f: f(np.zeros((3, 3)), [("ig", np.ones(9))]),
    "agreement_grid": lambda f: f(np.array([[True, False]]), ["run"], [1, 2]),
    "agreement_matrix_figure": lambda f: f(np.eye(2), ["a", "b"]),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_CALLS))
def test_every_figure_uses_the_shared_look(name):
    fig = SAMPLE_CALLS[name](getattr(figures, name))
    assert isinstance(fig, go.Figure)
    assert fig.layout.font.family == FONT["family"]
    assert fig.layout.margin.l is not None
    assert fig.layout.height and fig.layout.height > 0


def test_every_exported_figure_function_is_covered_above():
    helpers = {
        "smooth", "tile_grid", "cell_from_selection", "diff_cell_from_selection",
        "sample_from_selection", "digit_text",
    }  # fmt: skip
    assert set(figures.__all__) - helpers == set(SAMPLE_CALLS)


def test_no_streamlit_import_anywhere_in_the_package():
    pattern = re.compile(r"^\s*(import|from)\s+streamlit\b", re.MULTILINE)
    files = list(Path(figures.__file__).parent.glob("*.py"))
    assert len(files) >= 6
    for path in files:
        assert not pattern.search(path.read_text()), path.name


def test_importing_figures_imports_pandas_first():
    """Guard for a thread race: plotly uses pandas only if sys.modules already holds it, and a
    half-imported pandas (another thread importing it) breaks figure building."""
    code = "import sys, figures; print('pandas' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "True", done.stderr[-1000:]
