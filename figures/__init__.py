"""Plotly figures for the digit-net dashboard.

Every function takes plain data (NumPy arrays, lists, dicts) and returns a
plotly.graph_objects.Figure; nothing here imports streamlit or trains anything.
Every public builder of every module is listed here, so pages need only `figures.<name>`.
"""

from figures.architecture import stack_diagram
from figures.confusion import confusion_matrix_figure, confusion_timeline, diff_matrix_figure
from figures.explain import (
    activation_bars,
    margin_histogram,
    probability_bars,
    saliency_overlay,
    saliency_tiles,
)
from figures.feature_maps import layer_maps_figure
from figures.grid import tile_grid
from figures.samples import class_counts, image_grid, mean_images, pair_means_figure
from figures.selection import cell_from_selection, diff_cell_from_selection
from figures.training import (
    accuracy_curve,
    compare_curves,
    loss_curve,
    lr_curve,
    parallel_coordinates,
    smooth,
)
from figures.weights import receptive_fields, weight_histograms, weight_matrix, weight_tiles

__all__ = [
    "accuracy_curve",
    "activation_bars",
    "cell_from_selection",
    "class_counts",
    "compare_curves",
    "confusion_matrix_figure",
    "confusion_timeline",
    "diff_cell_from_selection",
    "diff_matrix_figure",
    "image_grid",
    "layer_maps_figure",
    "loss_curve",
    "lr_curve",
    "margin_histogram",
    "mean_images",
    "pair_means_figure",
    "parallel_coordinates",
    "probability_bars",
    "receptive_fields",
    "saliency_overlay",
    "saliency_tiles",
    "smooth",
    "stack_diagram",
    "tile_grid",
    "weight_histograms",
    "weight_matrix",
    "weight_tiles",
]
