"""Sample histories of one run, and agreement across runs (issue 20): the Samples page's first
two views. The numbers come from netlib.histories and netlib.agreement on the predictions each
run kept per epoch (runlayer/predictions.py); this module only lays them out."""

from __future__ import annotations

import numpy as np
import streamlit as st

import figures
from app import state
from app.plain_text import md_plain
from app.run_picker import Inspection, pickable_runs, run_label
from netlib import agreement, histories
from runlayer.errors import StoreError
from runlayer.marks import KINDS

STRIP = 12  # samples per strip
STAGE_NAMES = ("Learned early", "Learned late", "Never learned")
UNSTABLE = 16


@st.cache_data(max_entries=8, show_spinner=False)
def _history(run_id: str, epochs: int, _predictions, _labels) -> histories.SampleHistory:
    """Cached per (run, epochs kept): a running run's history grows by one row an epoch."""
    return histories.sample_history(_predictions, _labels)


def kept_predictions(store, inspection: Inspection) -> np.ndarray | None:
    """The run's per-epoch predictions, or None after saying why there are none."""
    try:
        predicted = store.predictions(inspection.record.id)
    except Exception as exc:  # noqa: BLE001 - a damaged file is named, the page goes on
        st.error(f"The per-epoch predictions of this run cannot be read: {md_plain(exc)}")
        return None
    if predicted is None or not len(predicted):
        st.info(
            "This run kept no per-epoch predictions (runs trained before they were kept, or "
            "with no test evaluation): train it again to see its sample histories."
        )
        return None
    if predicted.shape[1] != len(inspection.evaluation.labels):
        st.error("The kept predictions do not match this run's test set.")
        return None
    return predicted


def histories_view(store, inspection: Inspection, a: int, b: int) -> None:
    predicted = kept_predictions(store, inspection)
    if predicted is None:
        return
    labels, names = inspection.evaluation.labels, inspection.names
    h = _history(inspection.record.id, len(predicted), predicted, labels)
    stage = h.stage()
    cut = max(1, h.epochs // 3)
    st.plotly_chart(figures.stage_counts(stage, labels, names), key="hist_stages")
    st.caption(
        f"Learned = right from that epoch to the last one kept ({h.epochs}). Early: by epoch "
        f"{cut} (the first third); late: after it; never: wrong at the end."
    )
    cls = st.selectbox(
        "Strips of class",
        list(range(len(names))),
        index=a,
        format_func=names.__getitem__,
        key="hist_class",
    )
    cols = st.columns(3)
    for s, col in enumerate(cols):
        index = np.flatnonzero((labels == cls) & (stage == s))
        order = index[np.argsort(h.learned[index], kind="stable")][:STRIP]
        with col:
            st.markdown(f"**{STAGE_NAMES[s]}**: {len(index):,}")
            if len(order):
                titles = [f"#{i} ep {h.learned[i]}" if h.learned[i] else f"#{i}" for i in order]
                fig = figures.image_grid(
                    inspection.data.test_images[order],
                    titles,
                    cols=4,
                    max_value=inspection.data.max_value,
                )
                st.plotly_chart(fig, key=f"hist_strip_{s}")
    st.subheader("The samples that keep flipping")
    unstable = h.unstable(UNSTABLE)
    if not len(unstable):
        st.success("No test sample changed between right and wrong more than once.")
    else:
        titles = [f"#{i}: {h.flips[i]} flips" for i in unstable]
        colors = ["green" if h.ends_right[i] else "red" for i in unstable]
        fig = figures.image_grid(
            inspection.data.test_images[unstable],
            titles,
            cols=8,
            colors=colors,
            max_value=inspection.data.max_value,
        )
        st.plotly_chart(fig, key="hist_unstable")
        st.caption("The network's unstable boundary: most flips first; green ends right.")
    st.subheader(f"{names[a]} ↔ {names[b]}, epoch by epoch")
    samples, codes = histories.pair_timeline(predicted, labels, a, b)
    st.plotly_chart(figures.flip_timeline(codes, samples, names[a], names[b]), key="hist_pair")


# -- agreement across runs -------------------------------------------------------------------
MARK_SAMPLE, MARK_KIND = "mark_sample", "mark_kind"
NO_MARK = "no mark"


def _marks(dataset: str) -> dict[int, str]:
    try:
        return state.get_marks().of(dataset)
    except StoreError as exc:
        st.warning(f"Your marks cannot be read: {md_plain(exc)}")
        return {}


def mark_samples(store, inspection: Inspection, candidates: list[int], marks: dict) -> None:
    """Mark one of the samples every run gets wrong (or any marked one) as ambiguous or
    mislabeled; the mark is kept beside the runs, per data set."""
    options = sorted(set(candidates) | set(marks))
    c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    sample = c1.selectbox(
        "Mark test sample",
        options,
        key=MARK_SAMPLE,
        format_func=lambda i: f"#{i}" + (f" ({marks[i]})" if i in marks else ""),
    )
    kind = c2.radio("as", [*KINDS, NO_MARK], horizontal=True, key=MARK_KIND)
    if c3.button("Save the mark", key="mark_save", disabled=not store.owned):
        try:
            state.get_marks().set(
                inspection.config.dataset, int(sample), None if kind == NO_MARK else kind
            )
        except (StoreError, ValueError) as exc:
            st.error(f"The mark was not saved: {md_plain(exc)}")
        else:
            st.rerun()
    if not store.owned:
        st.caption("Another dashboard owns this run folder: marks are read-only here.")
    if marks:
        listed = ", ".join(f"#{i} {m}" for i, m in sorted(marks.items())[:30])
        st.caption(f"Marked on this data set: {listed}" + (" …" if len(marks) > 30 else ""))


def _same_data_runs(store, inspection: Inspection) -> dict:
    same = [
        r for r in pickable_runs(store.list_runs()) if r.config.dataset == inspection.config.dataset
    ]
    return {r.id: r for r in same}


def agreement_view(store, inspection: Inspection) -> None:
    runs = _same_data_runs(store, inspection)
    default = list(runs)[:4]
    chosen = st.multiselect(
        "Runs to compare (same data set)",
        list(runs),
        default=default,
        format_func=lambda i: run_label(runs[i]),
        key="agree_runs",
    )
    rows, names, groups = [], [], []
    for rid in chosen:
        predicted = store.predictions(rid)
        if predicted is None or not len(predicted):
            st.caption(f"{md_plain(runs[rid].name)}: no per-epoch predictions kept, left out.")
            continue
        if predicted.shape[1] != len(inspection.evaluation.labels):
            continue
        rows.append(predicted[-1])
        names.append(f"{runs[rid].name} ({rid[:4]})")
        groups.append(runs[rid].config.architecture)
    if len(rows) < 2:
        st.info("Pick at least two runs that kept their predictions.")
        return
    labels = inspection.evaluation.labels
    stacked = np.stack(rows)
    right = agreement.right_grid(stacked, labels)
    hardest = agreement.hardest_first(right, limit=60)
    st.plotly_chart(figures.agreement_grid(right[:, hardest], names, hardest), key="agree_grid")
    st.caption(
        "Each run at its last epoch kept. The samples every run gets wrong lead: often "
        "ambiguous or mislabeled."
    )
    everywhere = agreement.wrong_everywhere(right)
    st.markdown(f"**Wrong in every run: {len(everywhere):,}**")
    marks = _marks(inspection.config.dataset)
    if len(everywhere):
        shown = everywhere[:24]
        titles = [
            f"#{i} true {inspection.names[labels[i]]}" + (f" ({marks[i]})" if i in marks else "")
            for i in shown
        ]
        fig = figures.image_grid(
            inspection.data.test_images[shown], titles, cols=8, max_value=inspection.data.max_value
        )
        st.plotly_chart(fig, key="agree_wrong")
        mark_samples(store, inspection, [int(i) for i in everywhere], marks)
    only = agreement.only_group_right(right, groups) if len(set(groups)) > 1 else {}
    for arch, index in only.items():
        st.markdown(
            f"Only **{md_plain(arch)}** gets right: {len(index):,} samples"
            + (f" (e.g. {', '.join(f'#{i}' for i in index[:8])})" if len(index) else "")
        )
    matrix = agreement.agreement_matrix(stacked)
    st.plotly_chart(figures.agreement_matrix_figure(matrix, names), key="agree_matrix")
