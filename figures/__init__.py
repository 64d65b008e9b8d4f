"""Plotly figures for the digit-net dashboard.

Every function takes plain data (NumPy arrays, lists, dicts) and returns a
plotly.graph_objects.Figure; nothing here imports streamlit or trains anything.
Every public builder of every module is listed here, so pages need only `figures.<name>`.

Names are imported on first use (netlib/lazy.py says why).
"""

import pandas  # noqa: F401  (before any figure: see figures/theme.py)

from netlib.lazy import lazy_exports

_EXPORTS = {
    "accuracy_curve": "figures.training",
    "activation_bars": "figures.explain",
    "agreement_grid": "figures.insight",
    "agreement_matrix_figure": "figures.insight",
    "attribution_maps": "figures.insight",
    "cell_from_selection": "figures.selection",
    "class_counts": "figures.samples",
    "compare_curves": "figures.training",
    "confusion_matrix_figure": "figures.confusion",
    "confusion_timeline": "figures.confusion",
    "diff_cell_from_selection": "figures.selection",
    "diff_matrix_figure": "figures.confusion",
    "digit_text": "figures.insight",
    "embedding_map": "figures.insight",
    "flip_timeline": "figures.insight",
    "image_grid": "figures.samples",
    "layer_maps_figure": "figures.feature_maps",
    "loss_curve": "figures.training",
    "lr_curve": "figures.training",
    "margin_histogram": "figures.explain",
    "mean_images": "figures.samples",
    "morph_curves": "figures.insight",
    "objective_by_setting": "figures.sweep",
    "pair_means_figure": "figures.samples",
    "parallel_coordinates": "figures.training",
    "probability_bars": "figures.explain",
    "receptive_fields": "figures.weights",
    "saliency_overlay": "figures.explain",
    "sample_from_selection": "figures.selection",
    "saliency_tiles": "figures.explain",
    "seed_bands": "figures.sweep",
    "smooth": "figures.training",
    "stack_diagram": "figures.architecture",
    "stage_counts": "figures.insight",
    "tile_grid": "figures.grid",
    "weight_histograms": "figures.weights",
    "weight_matrix": "figures.weights",
    "weight_tiles": "figures.weights",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
