"""The embedding map and the morph (issue 20): where the test samples sit as one layer sees
them, epoch by epoch, and what the classifier says on the way from a 4 to a 9. The maths is
netlib.embedding and netlib.morph; this module picks, caches per run and epoch, and lays out."""

from __future__ import annotations

import numpy as np
import streamlit as st

import figures
from app import navigation, state, tab_state
from app.fragments import live_fragment
from app.run_picker import Inspection
from netlib import embedding, morph

MAP_SAMPLES = 2000  # points on the map at most (a fixed, seeded subset of the test set)
MAX_FRAMES = 12  # saved epochs animated at most
SELECTED_KEY, MAP_KEY = "map_selected", "map_chart"
LENS_SAMPLE_KEY = "lens_closer"  # the Pair lens's "look closer at" box


def _subset(n: int) -> np.ndarray:
    if n <= MAP_SAMPLES:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, MAP_SAMPLES, replace=False))


def _inputs(inspection: Inspection, index: np.ndarray) -> np.ndarray:
    return inspection.inputs(inspection.data.test_images[index])


@st.cache_data(max_entries=32, show_spinner="Mapping the test samples…")
def _map(run_id: str, epoch, layer: int, how: str, a: int, b: int, _net, _x, _labels):
    """Cached per (run, epoch, layer, projection): a saved epoch's weights never change."""
    feats = embedding.layer_features(_net, _x, layer)
    if how == "pca":
        return embedding.pca_2d(feats)
    x, y = embedding.pair_axis(feats, _labels, a, b)
    return np.column_stack([x, y])


def _frames(store, inspection, epochs, layer, how, a, b, index) -> list[tuple[int, np.ndarray]]:
    x = _inputs(inspection, index)
    labels = inspection.evaluation.labels[index]
    maps = []
    for e in epochs:
        net = (
            inspection.net
            if e == inspection.epoch
            else store.load_weights(inspection.record.id, e)[0]
        )
        maps.append(_map(inspection.record.id, e, layer, how, a, b, net, x, labels))
    if how == "pca":  # PCA's signs and rotation are arbitrary: keep the previous frame's
        maps = embedding.aligned_maps(maps)
    return [
        (int(e) if e != "best" else inspection.record.best_epoch or 0, m)
        for e, m in zip(epochs, maps, strict=True)
    ]


def _tsne_frames(inspection: Inspection, layer: int, index: np.ndarray):
    """The t-SNE map of this epoch, or None while it is computed (a progress bar that polls,
    then reruns the page) or when it failed (said once)."""
    epoch = inspection.epoch
    key = (inspection.record.id, epoch, layer, len(index))
    x = _inputs(inspection, index)
    job = state.get_embeddings().request(
        key, lambda: embedding.layer_features(inspection.net, x, layer)
    )
    if job.state == "failed":
        st.warning(f"No t-SNE map: {job.error}")
        return None
    if job.state == "running":
        _tsne_progress(job)
        return None
    label = inspection.record.best_epoch if epoch == "best" else epoch
    return [(int(label or 0), job.result)]


@live_fragment(1.0)
def _tsne_progress_body() -> None:
    job = st.session_state.get("map_tsne_job")
    if job is None:
        return
    st.progress(job.progress, text=f"t-SNE of the test samples… {job.progress:.0%}")
    if job.state != "running":
        st.rerun()


def _tsne_progress(job) -> None:
    st.session_state["map_tsne_job"] = job
    _tsne_progress_body()


def _remember_click() -> None:
    picked = figures.sample_from_selection(st.session_state.get(MAP_KEY))
    if picked is not None:
        st.session_state[SELECTED_KEY] = picked


def map_view(store, inspection: Inspection, a: int, b: int) -> None:
    _remember_click()  # also read here: the callback does not run under AppTest
    names = inspection.names
    choices = embedding.layer_choices(inspection.net, _inputs(inspection, np.arange(1))[0])
    c1, c2, c3 = st.columns(3)
    layer = c1.selectbox(
        "Layer",
        range(len(choices)),
        index=min(1, len(choices) - 1),
        format_func=choices.__getitem__,
        key="map_layer",
    )
    projections = {"pca": "PCA", "pair": f"{names[a]} ↔ {names[b]} axis", "tsne": "t-SNE"}
    how = c2.radio("Projection", list(projections), horizontal=True, key="map_how",
                   format_func=projections.get)  # fmt: skip
    colour_by = c3.radio("Colour by", ["true", "predicted"], horizontal=True, key="map_colour")
    animate = st.toggle("Animate over the saved epochs", key="map_animate")
    index = _subset(len(inspection.evaluation.labels))
    epochs = [inspection.epoch]
    if animate and how != "tsne":
        epochs = store.saved_epochs(inspection.record.id)[-MAX_FRAMES:] or [inspection.epoch]
    if how == "tsne":
        frames = _tsne_frames(inspection, layer - 1, index)
        if frames is None:
            return
    else:
        try:
            frames = _frames(store, inspection, epochs, layer - 1, how, a, b, index)
        except ValueError as exc:  # e.g. a class of the pair missing from the test set
            st.warning(f"No map: {exc}.")
            return
    ev = inspection.evaluation
    colour = (ev.labels if colour_by == "true" else ev.pred)[index]
    images, top = inspection.data.test_images, inspection.data.max_value
    hover = [
        f"#{i}: true {names[ev.labels[i]]}, predicted {names[ev.pred[i]]}<br>"
        + figures.digit_text(images[i], top)
        for i in index
    ]
    axes = {
        "pca": ("PC 1", "PC 2"),
        "pair": (f"0 = the {names[a]}s' centre, 1 = the {names[b]}s'", "the rest's main direction"),
        "tsne": ("t-SNE 1", "t-SNE 2"),
    }[how]
    title = f"Test samples as {choices[layer]} sees them"
    fig = figures.embedding_map(frames, colour, names, hover, axes, title)
    st.plotly_chart(fig, key=MAP_KEY, on_select=_remember_click, selection_mode="points")
    how_read = {
        "pca": "PCA of the layer's values; each epoch rotated onto the one before (Procrustes).",
        "pair": f"Samples near the middle of the x axis sit between the {names[a]}s and the "
        f"{names[b]}s in this layer.",
        "tsne": "t-SNE (openTSNE) keeps near neighbours near: distances between clusters mean "
        "little, and each epoch's map is its own (no animation).",
    }[how]
    st.caption(f"{len(index):,} test samples. Click a point to see it below. {how_read}")
    chosen = st.session_state.get(SELECTED_KEY)
    if chosen is not None and 0 <= chosen < len(ev.labels):
        _selected(inspection, int(chosen))


def _selected(inspection: Inspection, i: int) -> None:
    ev, names = inspection.evaluation, inspection.names
    left, right = st.columns([1, 2])
    img = inspection.data.test_images[i : i + 1]
    left.plotly_chart(
        figures.image_grid(img, [f"#{i}"], cols=1, max_value=inspection.data.max_value),
        key="map_selected_image",
    )
    right.plotly_chart(
        figures.probability_bars(ev.proba[i], names, int(ev.labels[i])), key="map_selected_proba"
    )
    if st.button("Open this sample in the Pair lens", key="map_to_lens"):
        true, pred = int(ev.labels[i]), int(ev.pred[i])
        if true != pred:
            tab_state.set_pair((true, pred))
        st.session_state[LENS_SAMPLE_KEY] = i
        navigation.go(navigation.PAIR_LENS)


# -- the morph ---------------------------------------------------------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def _closest(run_id: str, epoch, a: int, b: int, _inspection: Inspection):
    """Cached per (run, epoch, pair): 500 confused samples against every right one at most
    (the whole test set is scaled here only, not on every move of the slider)."""
    ev = _inspection.evaluation
    x = _inputs(_inspection, np.arange(len(ev.labels)))
    return morph.closest_pair(x, ev.labels, ev.pred, a, b)


def morph_view(inspection: Inspection, a: int, b: int) -> None:
    ev, names = inspection.evaluation, inspection.names
    pair = _closest(inspection.record.id, inspection.epoch, a, b, inspection)
    if pair is None:
        of_a = np.flatnonzero(ev.labels == a)
        of_b = np.flatnonzero(ev.labels == b)
        if not len(of_a) or not len(of_b):
            st.info(f"The test set needs a {names[a]} and a {names[b]} for a morph.")
            return
        pair = (int(of_a[0]), int(of_b[0]))
        st.caption(f"No {names[a]} is taken for a {names[b]}: starting from the first of each.")
    else:
        st.caption(
            f"Start: a {names[a]} the network takes for a {names[b]}; end: the nearest "
            f"{names[b]} (in pixels) it gets right."
        )
    n = len(ev.labels)
    c1, c2, c3 = st.columns(3)
    start = int(c1.number_input(f"From test # (a {names[a]})", 0, n - 1, pair[0], key="morph_a"))
    end = int(c2.number_input(f"To test # (a {names[b]})", 0, n - 1, pair[1], key="morph_b"))
    xa, xb = _inputs(inspection, np.array([start, end]))
    layers = ["pixels", *embedding.layer_choices(inspection.net, xa)[1:-1]]
    path = c3.selectbox(
        "Blend in", range(len(layers)), format_func=layers.__getitem__, key="morph_path"
    )
    loss = inspection.config.loss
    if path == 0:
        m = morph.pixel_morph(inspection.net, xa, xb, a, b, steps=21, loss=loss)
    else:
        m = morph.hidden_morph(inspection.net, xa, xb, a, b, layer=path - 1, steps=21, loss=loss)
    at = st.slider("Position", 0.0, 1.0, 0.5, 0.05, key="morph_at")
    step = int(round(at * (len(m.alphas) - 1)))
    fig = figures.morph_curves(m.alphas, m.proba, a, b, names, flip=m.flip, at=at)
    st.plotly_chart(fig, key="morph_curves")
    flip = (
        f"The decision flips at {m.flip:.2f}."
        if m.flip is not None
        else (
            f"The network never calls the start a {names[a]}."
            if m.proba[0].argmax() != a
            else f"It stays a {names[a]} all the way."
        )
    )
    st.markdown(flip)
    left, right = st.columns([1, 2])
    if m.images is not None:
        shape = inspection.data.image_shape
        img = m.images[step].reshape(-1, *shape)[0][None]
        left.plotly_chart(
            figures.image_grid(img, [f"{at:.2f} of the way"], cols=1, max_value=1),
            key="morph_image",
        )
    else:
        left.caption("A hidden-layer blend has no image: only what the classifier says.")
    right.plotly_chart(figures.probability_bars(m.proba[step], names), key="morph_proba")
