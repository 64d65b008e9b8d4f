"""Draw a digit's pieces: load the chosen run's network, then explain one drawing with it.

`show_prediction` is everything after the canvas, a function of the canvas's RGBA array, so
tests call it with synthetic strokes (the canvas component returns nothing under AppTest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st

import figures
from app.plain_text import md_plain
from netlib import confusions, drawing, nets
from netlib.config import NetConfig
from netlib.modelfile import ModelFileError
from netlib.nets import Network
from netlib.training_data import scale_images
from runlayer.errors import NoWeightsError, RunNotFoundError
from runlayer.records import RunRecord

CANVAS_SIZE = 280
DRAW_HINT = (
    "Draw a digit on the canvas, large and centred, as you would write it on paper. "
    "The network's answer appears here."
)


@dataclass(frozen=True)
class Model:
    """A saved network and what it needs to read a drawing like its training images."""

    net: Network
    config: NetConfig
    class_names: list[str]
    image_shape: tuple[int, int]
    max_value: int

    @classmethod
    def from_saved(cls, net: Network, config: NetConfig, meta: dict) -> Model:
        """The model file's meta says how its data looked (older files: MNIST-like guesses)."""
        k, n = nets.classes_of(net), nets.inputs_of(net)
        names = [str(c) for c in meta.get("class_names") or range(k)]
        side = math.isqrt(n)
        shape = tuple(int(s) for s in meta.get("image_shape") or (side, n // side))
        return cls(net, config, names, shape, int(meta.get("max_value") or 255))


def load_model(store, record: RunRecord, checkpoint: int | str) -> Model | None:
    """The network of one run at one epoch; None after saying why not."""
    try:
        return Model.from_saved(*store.load_weights(record.id, checkpoint))
    except RunNotFoundError:
        st.warning("This run no longer exists (it was deleted). Pick another one.")
    except NoWeightsError as exc:
        st.info(f"No network to draw for: {exc}.")
    except (ModelFileError, ValueError) as exc:
        st.error(f"The saved weights of this run cannot be read: {md_plain(exc)}")
    return None


def show_prediction(rgba: np.ndarray | None, model: Model) -> None:
    """Probabilities, the image the network sees and its hidden activations, for one drawing."""
    if rgba is None:
        st.info(DRAW_HINT)
        return
    try:
        ink = drawing.ink_from_rgba(rgba)
    except ValueError as exc:
        st.error(f"The canvas sent an image this page cannot read: {exc}")
        return
    image = drawing.drawing_to_image(ink, model.image_shape, model.max_value)
    if image is None:
        st.info(DRAW_HINT)
        return
    if image.size != nets.inputs_of(model.net):
        st.error(
            f"This network takes {nets.inputs_of(model.net)} inputs, not a "
            f"{image.shape[0]}×{image.shape[1]} image: its file describes its data wrongly."
        )
        return
    x = scale_images(image[None], model.max_value, model.net.dtype.name)[0]
    proba, acts = confusions.explain_input(model.net, x, model.config.loss)
    names = model.class_names
    st.plotly_chart(figures.probability_bars(proba, names), key="draw_proba")
    h, w = model.image_shape
    left, right = st.columns([1, 2])
    seen = figures.image_grid(image[None], cols=1, max_value=model.max_value, height=220)
    left.markdown(f"**What the network sees** ({h}×{w}, values 0–{model.max_value})")
    left.plotly_chart(seen, key="draw_seen")
    with right:
        if acts:
            st.plotly_chart(figures.activation_bars(acts, height=200), key="draw_acts")
        else:
            st.caption("This network has no hidden layer: the inputs go straight to the classes.")
    if confusions.has_layers(model.net):  # a layer stack: the drawing through every layer
        first, second = (int(k) for k in np.argsort(proba)[::-1][:2])
        margin = f"logit {names[first]} − logit {names[second]}"
        st.markdown(
            f"**Your drawing through every layer**, with the gradient of {md_plain(margin)}"
        )
        rows = confusions.layer_activity(model.net, x, first, second)
        st.plotly_chart(figures.layer_maps_figure(rows, margin), key="draw_maps")
    if min(h, w) >= 16:
        how = "fitted in a 20×20 box keeping its shape and centred by its centre of mass"
    else:
        how = "fitted to fill the frame keeping its shape"
    st.caption(f"Your drawing, {how}, resampled by area averaging to {h}×{w} like the data.")
