"""Attributions for one test sample, the training examples it looks like to the network, and
the lists of samples worth a look (issue 20). Numbers from netlib.attributions and
netlib.sample_lists, cached per run, epoch and sample; this module lays them out."""

from __future__ import annotations

import numpy as np
import streamlit as st

import figures
from app.run_picker import Inspection
from netlib import attributions, embedding, metrics, nets, sample_lists

SAMPLE_KEY = "attr_sample"
NEAREST = 8
TRAIN_POOL = 10_000  # training samples searched for the nearest ones at most (seeded subset)
LIST = 16


@st.cache_data(max_entries=32, show_spinner="Computing the attributions…")
def _maps(run_id: str, epoch, sample: int, a: int, b: int, baseline: str, _inspection, _x, _mean):
    """Cached per (run, epoch, sample, pair, baseline); in float64, so the integrated
    gradients' completeness check holds for small margins too."""
    shape = _inspection.data.image_shape
    net = nets.in_float64(_inspection.net, _inspection.config, shape)
    base = attributions.baseline_image(baseline, _x, _mean)
    ig = attributions.integrated_gradients(net, _x, a, b, baseline=base)
    sal = metrics.saliency(net, _x[None, :], a, b).reshape(-1)
    smooth = attributions.smoothgrad(net, _x, a, b)
    patch, stride = max(2, shape[0] // 7), max(1, shape[0] // 14)
    occl = attributions.occlusion(net, _x, shape, a, b, patch=patch, stride=stride)
    return sal, ig, smooth, occl


@st.cache_data(max_entries=4, show_spinner=False)
def _mean_digit(dataset_id: str, _inspection: Inspection) -> np.ndarray:
    ds = _inspection.data
    pool = ds.train_images[: min(len(ds.train_images), 20_000)]
    return _inspection.inputs(pool).astype(np.float64).mean(axis=0)


@st.cache_data(max_entries=8, show_spinner="Placing the training samples in that layer…")
def _train_features(run_id: str, epoch, layer: int, _inspection: Inspection):
    ds = _inspection.data
    n = len(ds.train_labels)
    pool = (
        np.arange(n)
        if n <= TRAIN_POOL
        else np.sort(np.random.default_rng(0).choice(n, TRAIN_POOL, replace=False))
    )
    x = _inspection.inputs(ds.train_images[pool])
    feats = embedding.layer_features(_inspection.net, x, layer)
    return pool, feats


def default_sample(inspection: Inspection, a: int, b: int) -> int:
    """The network's surest a taken for b, else its surest mistake, else sample 0."""
    ev = inspection.evaluation
    wrong = sample_lists.confidently_wrong(ev.proba, ev.labels, true_cls=a)
    as_b = [int(i) for i in wrong if ev.pred[i] == b]
    if as_b:
        return as_b[0]
    return int(wrong[0]) if len(wrong) else 0


def attribution_view(inspection: Inspection, a: int, b: int) -> None:
    ev, names, ds = inspection.evaluation, inspection.names, inspection.data
    n = len(ev.labels)
    st.session_state.setdefault(SAMPLE_KEY, default_sample(inspection, a, b))
    c1, c2 = st.columns(2)
    i = int(c1.number_input("Test sample #", 0, n - 1, key=SAMPLE_KEY))
    baseline = c2.radio(
        "Integrated gradients' baseline",
        ["black", "mean"],
        horizontal=True,
        format_func={"black": "black image", "mean": "the mean digit"}.get,
        key="attr_baseline",
    )
    x = inspection.inputs(ds.test_images[i : i + 1])[0].astype(np.float64)
    mean = _mean_digit(inspection.config.dataset, inspection) if baseline == "mean" else None
    run_id, epoch = inspection.record.id, inspection.epoch
    sal, ig, smooth, occl = _maps(run_id, epoch, i, a, b, baseline, inspection, x, mean)
    st.markdown(
        f"Test #{i}: a **{names[ev.labels[i]]}**, taken for **{names[ev.pred[i]]}** at "
        f"{ev.proba[i, ev.pred[i]]:.0%}. Each map explains logit {names[a]} − logit {names[b]}."
    )
    maps = [
        ("saliency", sal),
        ("integrated gradients", ig.attributions),
        ("SmoothGrad", smooth),
        ("occlusion", occl),
    ]
    st.plotly_chart(figures.attribution_maps(ds.test_images[i], maps), key="attr_maps")
    check = "✅" if ig.complete else "⚠️"
    st.caption(
        f"Blue pushes towards {names[a]}, red towards {names[b]}; each map on its own scale "
        f"(share of its largest value). {check} Integrated gradients add up to "
        f"{ig.attributions.sum():+.4f}; the margin changed by {ig.target:+.4f} from the "
        f"baseline ({ig.gap:.2%} apart, {ig.steps} steps). Occlusion: the margin's drop when "
        "a patch around each pixel is blanked."
    )
    nearest_view(inspection, i, a, b)


def nearest_view(inspection: Inspection, i: int, a: int, b: int) -> None:
    names, ds = inspection.names, inspection.data
    choices = embedding.layer_choices(inspection.net, inspection.inputs(ds.test_images[:1])[0])
    layer = st.selectbox(
        "Nearest training examples in",
        range(len(choices)),
        index=len(choices) - 2 if len(choices) > 2 else 0,
        format_func=choices.__getitem__,
        key="attr_layer",
    )
    pool, feats = _train_features(inspection.record.id, inspection.epoch, layer - 1, inspection)
    query = embedding.layer_features(
        inspection.net, inspection.inputs(ds.test_images[i : i + 1]), layer - 1
    )[0]
    labels = ds.train_labels[pool]
    cols = st.columns(2)
    for col, cls in zip(cols, (b, a), strict=True):
        idx, dist = sample_lists.nearest_examples(feats, labels, query, cls=cls, k=NEAREST)
        titles = [f"#{pool[j]}: {d:.2f}" for j, d in zip(idx, dist, strict=True)]
        with col:
            st.markdown(f"**Training {names[cls]}s it looks most like**")
            fig = figures.image_grid(
                ds.train_images[pool[idx]], titles, cols=4, max_value=ds.max_value
            )
            st.plotly_chart(fig, key=f"attr_nearest_{cls}")
    st.caption(
        f"Training # and distance in {choices[layer]}, among {len(pool):,} training samples: "
        f'"the network thinks this looks like these".'
    )


def lists_view(inspection: Inspection, a: int) -> None:
    ev, names, ds = inspection.evaluation, inspection.names, inspection.data
    cls = st.selectbox(
        "Class",
        [None, *range(len(names))],
        index=a + 1,
        key="list_class",
        format_func=lambda c: "every class" if c is None else names[c],
    )
    for title, index in (
        ("Most confidently wrong", sample_lists.confidently_wrong(ev.proba, ev.labels, cls, LIST)),
        (
            "Most ambiguous (top two closest)",
            sample_lists.most_ambiguous(ev.proba, ev.labels, cls, LIST),
        ),
    ):
        st.markdown(f"**{title}**")
        if not len(index):
            st.success("None.")
            continue
        top2 = np.argsort(ev.proba[index], axis=1)[:, -2:]
        labels = [
            f"#{i} {names[ev.labels[i]]}→{names[t[1]]} {ev.proba[i, t[1]]:.0%}"
            f"/{names[t[0]]} {ev.proba[i, t[0]]:.0%}"
            for i, t in zip(index, top2, strict=True)
        ]
        colors = ["green" if ev.pred[i] == ev.labels[i] else "red" for i in index]
        fig = figures.image_grid(
            ds.test_images[index], labels, cols=8, colors=colors, max_value=ds.max_value
        )
        st.plotly_chart(fig, key=f"list_{title[:8]}")
