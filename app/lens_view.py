"""The Pair lens's pieces: which two classes, the cached study of them, and each section.

The run and epoch are the Inspect page's (same keys), so a cell clicked there opens here on
the same network. The pair lives in app/tab_state.py, which the Inspect page writes on a click and
this page writes when a class is picked or a cell of the timeline's matrix is clicked.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import figures
from app import tab_state
from app.run_picker import Inspection
from netlib import confusions, nets

A_KEY, B_KEY = "lens_a", "lens_b"
EPOCH_KEY, CM_KEY, SEEN_KEY = "keep_lens_cm_epoch", "lens_cm_chart", "lens_cm_seen"
CLOSER_KEY = "lens_closer"
TILES = 12


# -- the pair --------------------------------------------------------------------------------
def _picked() -> None:
    tab_state.set_pair((st.session_state[A_KEY], st.session_state[B_KEY]))


def _swap() -> None:
    tab_state.set_pair((st.session_state[B_KEY], st.session_state[A_KEY]))


def apply_matrix_click() -> None:
    """on_select of the timeline's matrix (and once per run): a new click re-aims the lens.

    Only a click not seen before counts, so a selection the chart still holds does not undo
    a class picked afterwards in the select boxes.
    """
    cell = figures.cell_from_selection(st.session_state.get(CM_KEY))
    if cell is None:
        st.session_state.pop(SEEN_KEY, None)
    elif cell != st.session_state.get(SEEN_KEY):
        st.session_state[SEEN_KEY] = cell
        tab_state.set_pair(cell)


def choose_pair(inspection: Inspection) -> tuple[int, int]:
    """Class A and class B pickers, opened on the tab's pair (else 4 and 9)."""
    apply_matrix_click()
    names = inspection.names
    a, b = confusions.resolve_pair(tab_state.pair(), inspection.evaluation.confusion())
    st.session_state[A_KEY], st.session_state[B_KEY] = a, b
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    classes = list(range(len(names)))
    c1.selectbox("Class A", classes, key=A_KEY, format_func=names.__getitem__, on_change=_picked)
    c2.selectbox("Class B", classes, key=B_KEY, format_func=names.__getitem__, on_change=_picked)
    c3.button("⇄ Swap", key="lens_swap", on_click=_swap, width="stretch")
    return a, b


# -- the study, computed once per run, epoch and pair -----------------------------------------
@st.cache_data(max_entries=16, show_spinner="Looking at the pair…")
def _study(run_id: str, epoch, a: int, b: int, _inspection: Inspection) -> confusions.PairStudy:
    """Cached per (run, epoch, pair): a saved epoch's weights never change."""
    ds, evaluation = _inspection.data, _inspection.evaluation
    return confusions.study_pair(
        _inspection.net,
        ds.test_images,
        evaluation.labels,
        evaluation.logits,
        evaluation.proba,
        ds.max_value,
        a,
        b,
        TILES,
    )


def study(inspection: Inspection, a: int, b: int) -> confusions.PairStudy:
    epoch = inspection.record.best_epoch if inspection.epoch == "best" else inspection.epoch
    return _study(inspection.record.id, (inspection.epoch, epoch), a, b, inspection)


# -- sections ---------------------------------------------------------------------------------
def summary(inspection: Inspection, s: confusions.PairStudy) -> None:
    na, nb = inspection.names[s.a], inspection.names[s.b]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(f"True {na} taken for {nb}", f"{len(s.a_as_b):,} of {len(s.margins_a):,}")
    c2.metric(f"True {nb} taken for {na}", f"{len(s.b_as_a):,} of {len(s.margins_b):,}")
    wrong_side = int((s.margins_a < 0).sum() + (s.margins_b > 0).sum())
    c3.metric(
        "Wrong side of the boundary",
        f"{wrong_side:,}",
        help=f"True {na}s with logit {na} < logit {nb}, and true {nb}s with logit {nb} < "
        f"logit {na}: the network prefers the other class of the pair (another class may win).",
    )
    c4.metric("Test accuracy (all classes)", f"{inspection.evaluation.accuracy:.2%}")


def means(inspection: Inspection, s: confusions.PairStudy) -> None:
    na, nb = inspection.names[s.a], inspection.names[s.b]
    st.plotly_chart(figures.pair_means_figure(s.mean_a, s.mean_b, na, nb), key="lens_means")
    st.caption(f"Right: blue where {na}s have more ink on average, red where {nb}s do.")


def margins(inspection: Inspection, s: confusions.PairStudy) -> None:
    na, nb = inspection.names[s.a], inspection.names[s.b]
    fig = figures.margin_histogram(s.margins_a, s.margins_b, na, nb)
    st.plotly_chart(fig, key="lens_margins")
    st.caption(
        f"Every test {na} and {nb} placed by logit {na} − logit {nb}: right of the dashed line "
        f"the network prefers {na}. Where the two histograms overlap it cannot tell them apart "
        "(another class may still win overall)."
    )


def _tile_titles(inspection: Inspection, index: np.ndarray, a: int, b: int) -> list[str]:
    p = inspection.evaluation.proba
    return [f"#{i} {p[i, a]:.0%}/{p[i, b]:.0%}" for i in index]


def confused(inspection: Inspection, s: confusions.PairStudy) -> None:
    """Both ways side by side: the most confident mistakes, each under its saliency."""
    names, data = inspection.names, inspection.data
    left, right = st.columns(2)
    ways = (
        (left, s.a, s.b, s.a_as_b, s.saliency_a_as_b),
        (right, s.b, s.a, s.b_as_a, s.saliency_b_as_a),
    )
    for col, t, p, index, sal in ways:
        shown = index[:TILES]
        title = f"True {names[t]} → predicted {names[p]}: {len(index):,}"
        with col:
            if len(index) == 0:
                st.markdown(f"**{title}**")
                st.success(f"No test {names[t]} is taken for a {names[p]}.")
                continue
            fig = figures.saliency_tiles(
                data.test_images[shown],
                sal,
                _tile_titles(inspection, shown, s.a, s.b),
                cols=4,
                max_value=data.max_value,
                title=title,
            )
            st.plotly_chart(fig, key=f"lens_tiles_{t}_{p}")
    st.caption(
        f"Caption: test # · P({names[s.a]})/P({names[s.b]}). Saliency = gradient of logit "
        f"{names[s.a]} − logit {names[s.b]} with respect to each pixel: blue pixels push "
        f"towards {names[s.a]}, red ones towards {names[s.b]}. Most confident mistakes first."
    )


def closer(inspection: Inspection, s: confusions.PairStudy) -> None:
    """One confused sample, large: its saliency and all its class probabilities."""
    shown = {int(i): (s.saliency_a_as_b[n], "a") for n, i in enumerate(s.a_as_b[:TILES])}
    shown |= {int(i): (s.saliency_b_as_a[n], "b") for n, i in enumerate(s.b_as_a[:TILES])}
    if not shown:
        return
    if st.session_state.get(CLOSER_KEY) not in shown:
        st.session_state[CLOSER_KEY] = next(iter(shown))
    names = inspection.names
    label = {i: f"#{i} (true {names[inspection.evaluation.labels[i]]})" for i in shown}
    i = st.selectbox("Look closer at", list(shown), key=CLOSER_KEY, format_func=label.get)
    left, right = st.columns(2)
    title = f"Saliency of logit {names[s.a]} − logit {names[s.b]}"
    img = inspection.data.test_images[i]
    left.plotly_chart(figures.saliency_overlay(img, shown[i][0], title), key="lens_closer_sal")
    bars = figures.probability_bars(
        inspection.evaluation.proba[i], names, int(inspection.evaluation.labels[i])
    )
    right.plotly_chart(bars, key="lens_closer_proba")


def units(inspection: Inspection, s: confusions.PairStudy) -> None:
    """The first-layer units that separate the pair most, or the weight difference map."""
    names, shape, net = inspection.names, inspection.data.image_shape, inspection.net
    na, nb = names[s.a], names[s.b]
    if s.weight_diff is not None:
        title = f"Weights of {na} − weights of {nb}"
        fig = figures.receptive_fields(s.weight_diff[:, None], [0], shape, [title], cols=1)
        st.plotly_chart(fig, key="lens_wdiff")
        st.caption(
            f"This network has no hidden layer: logit {na} − logit {nb} is this map times the "
            f"image (plus a bias). Blue pixels vote {na}, red ones {nb}."
        )
        return
    if s.units is None:
        if not confusions.has_hidden(net):
            st.info("This network has no conv or dense layer before its output: no hidden units "
                    "to rank.")  # fmt: skip
        else:
            st.info(f"No test sample of {na} or of {nb}: nothing to rank the units by.")
        return
    u = s.units
    titles = [f"unit {j}: {sc:+.2f}" for j, sc in zip(u.units, u.score, strict=True)]
    tiles = nets.first_layer_tiles(net, shape)
    if tiles is not None:
        w0, tile_shape = tiles
        fig = figures.receptive_fields(w0, u.units, tile_shape, titles, cols=min(8, len(u.units)))
        st.plotly_chart(fig, key="lens_units")
    else:
        st.markdown("\n".join(f"- {t}" for t in titles))
    channel_maps(inspection, s)
    deeper = " (first-order, through the deeper layers)" if len(nets.weight_arrays(net)) > 2 else ""
    st.caption(
        f"Each unit's contribution to logit {na} − logit {nb} is its activation times the "
        f"margin's gradient with respect to it{deeper}. The score is its mean on true {na}s "
        f"minus its mean on true {nb}s: how far it pushes the two classes apart. Tiles show "
        "each unit's input weights (blue: ink there excites the unit)."
    )


MAP_SAMPLES, MAP_CHANNELS = 4, 8  # confused samples and top channels in the grid


def channel_maps(inspection: Inspection, s: confusions.PairStudy) -> None:
    """For a convolutional network: what the top separating channels see in the first
    samples of a taken for b (one row per sample, one column per channel)."""
    index = s.a_as_b[:MAP_SAMPLES]
    channels = s.units.units[:MAP_CHANNELS]
    if not len(index) or not len(channels):
        return
    x = inspection.inputs(inspection.data.test_images[index])
    maps = confusions.channel_maps(inspection.net, x, channels)
    if maps is None:
        return
    na, nb = inspection.names[s.a], inspection.names[s.b]
    n, c, h, w = maps.shape
    titles = [f"#{int(i)} ch {int(ch)}" for i in index for ch in channels]
    top = float(maps.max()) or 1.0
    fig = figures.image_grid(maps.reshape(n * c, h, w), titles, cols=c, max_value=top,
                             colorscale="Viridis")  # fmt: skip
    st.markdown(f"**What these channels see in the {na}s taken for {nb}** (first {n})")
    st.plotly_chart(fig, key="lens_channel_maps")


def timeline(store, inspection: Inspection, a: int, b: int) -> None:
    """a→b and b→a errors after every epoch, and the whole matrix at a chosen epoch."""
    names = inspection.names
    cms = store.confusions(inspection.record.id)
    epochs, ab, ba = confusions.pair_timeline(cms, a, b)
    fig = figures.confusion_timeline(epochs, ab, ba, names[a], names[b])
    if 0 < len(epochs) <= 20:
        fig.update_xaxes(dtick=1)  # whole epochs only (automatic ticks repeat labels)
    st.plotly_chart(fig, key="lens_timeline")
    if len(epochs) == 0:
        st.info("This run has no per-epoch confusion matrix yet.")
        return
    options = [int(e) for e in epochs]
    if st.session_state.get(EPOCH_KEY) not in options:
        st.session_state[EPOCH_KEY] = options[-1]
    if len(options) > 1:
        st.select_slider(
            "Confusion matrix after epoch", options, key=EPOCH_KEY, persist_state="session"
        )
    e = st.session_state[EPOCH_KEY]
    fig = figures.confusion_matrix_figure(
        cms[e], names, title=f"Test confusion matrix after epoch {e}", highlight=(a, b)
    )
    st.plotly_chart(fig, key=CM_KEY, on_select=apply_matrix_click, selection_mode="points")
    st.caption("Click a cell to look at that pair instead.")
