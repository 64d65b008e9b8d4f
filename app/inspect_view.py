"""The Inspect page's sections: what a run gets wrong at one epoch (app/run_picker.py picks it).

Choices that must survive page switches use "keep_" keys. A click on the confusion matrix is
copied into keep_cell (what this page lists) and the tab's pair (what the pair lens opens on).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import figures
from app import navigation, weight_views
from app.run_picker import Inspection
from app.tab_state import set_pair
from figures.theme import BAD, GOOD
from netlib import metrics, scoring

CHART_KEY, CELL_KEY = "cm_chart", "keep_cell"
PER_PAGE = 40
PERCENT = st.column_config.NumberColumn(format="percent")


# -- tiles and tables ---------------------------------------------------------------------------
def short(name: str, n: int = 6) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def rows_frame(rows: scoring.SampleRows, names: list[str]) -> pd.DataFrame:
    top = [
        " · ".join(f"{names[c]} {p:.0%}" for c, p in zip(cs, ps, strict=True))
        for cs, ps in zip(rows.top_classes, rows.top_proba, strict=True)
    ]
    return pd.DataFrame(
        {
            "test #": rows.index,
            "true": [names[c] for c in rows.true],
            "predicted": [names[c] for c in rows.pred],
            "confidence": rows.confidence.astype(float),
            "top 3": top,
        }
    )


def paged(rows: scoring.SampleRows, key: str) -> scoring.SampleRows:
    """One page of rows, with a page number input when they do not fit on one."""
    _, _, pages = scoring.page_bounds(len(rows), 1, PER_PAGE)
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1
    page = st.number_input("Page", 1, pages, key=key) if pages > 1 else 1
    start, stop, _ = scoring.page_bounds(len(rows), page, PER_PAGE)
    st.caption(f"Showing {start + 1}–{stop} of {len(rows):,}")
    return rows.page(start, stop)


def tiles(inspection: Inspection, rows: scoring.SampleRows, titles: list[str], key: str) -> None:
    fig = figures.image_grid(
        inspection.data.test_images[rows.index],
        titles,
        cols=10,
        max_value=inspection.data.max_value,
        colors=[GOOD if t == p else BAD for t, p in zip(rows.true, rows.pred, strict=True)],
    )
    st.plotly_chart(fig, key=key, width="stretch")


def _new_seed() -> None:
    st.session_state["keep_pred_seed"] += 1


def predictions(inspection: Inspection) -> None:
    """Random test samples with the predicted class and its confidence; green right, red wrong."""
    st.session_state.setdefault("keep_pred_show", "all")
    st.session_state.setdefault("keep_pred_seed", 0)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    answers = c1.radio(
        "Show",
        scoring.ANSWER_FILTERS,
        key="keep_pred_show",
        persist_state="session",
        horizontal=True,
        format_func={"all": "any sample", "right": "right ones", "wrong": "wrong ones"}.get,
    )
    c2.button("🔀 Other samples", key="pred_shuffle", on_click=_new_seed)
    evaluation, names = inspection.evaluation, inspection.names
    index = scoring.prediction_sample(
        evaluation.correct,
        30,
        st.session_state["keep_pred_seed"],  # moved by the button's callback
        answers,
    )
    if len(index) == 0:
        st.info("No such test sample.")
        return
    rows = scoring.sample_rows(evaluation, index)
    titles = [
        f"{'✓' if t == p else '✗'} {short(names[p])} {c:.0%}"
        for t, p, c in zip(rows.true, rows.pred, rows.confidence, strict=True)
    ]
    tiles(inspection, rows, titles, "pred_grid")


# -- the confusion matrix and its cells ---------------------------------------------------------
def copy_click() -> None:
    """on_select of the matrix (and once per run): remember the clicked (true, pred) cell."""
    cell = figures.cell_from_selection(st.session_state.get(CHART_KEY))
    if cell is not None:
        st.session_state[CELL_KEY] = cell
        set_pair(cell)


def clicked_cell(k: int) -> tuple[int, int] | None:
    cell = st.session_state.get(CELL_KEY)
    if cell is None or len(cell) != 2 or not all(0 <= int(v) < k for v in cell):
        return None
    return int(cell[0]), int(cell[1])


def report_frame(cm: np.ndarray, names: list[str]) -> pd.DataFrame:
    r = metrics.per_class_report(cm)
    data = {"precision": r.precision, "recall": r.recall, "F1": r.f1, "support": r.support}
    return pd.DataFrame(data, index=pd.Index(names, name="class"))


def confusion(inspection: Inspection) -> None:
    """Clickable matrix (counts or % of row) beside per-class precision, recall, F1, support."""
    st.session_state.setdefault("keep_cm_normalize", False)
    copy_click()  # a click faked through session state (tests) takes the same path
    cm = inspection.evaluation.confusion()
    left, right = st.columns([3, 2])
    with left:
        normalize = st.toggle(
            "Row-normalised (% of each true class)",
            key="keep_cm_normalize",
            persist_state="session",
        )
        fig = figures.confusion_matrix_figure(
            cm,
            inspection.names,
            normalize,
            highlight=clicked_cell(len(cm)),
        )
        st.plotly_chart(fig, key=CHART_KEY, on_select=copy_click, selection_mode="points")
        st.caption("Click a cell to list its test samples below.")
    right.dataframe(
        report_frame(cm, inspection.names),
        column_config={c: PERCENT for c in ("precision", "recall", "F1")},
    )


def cell_samples(inspection: Inspection) -> None:
    """Exactly the test samples of the clicked cell, most confident first, with their top 3."""
    cell = clicked_cell(inspection.evaluation.num_classes)
    if cell is None:
        st.info("Click a cell of the confusion matrix to see its samples.")
        return
    t, p = cell
    rows = scoring.cell_rows(inspection.evaluation, t, p)
    names = inspection.names
    st.markdown(
        f"Test samples with **true {names[t]}, predicted {names[p]}**: {len(rows):,}, "
        "most confident first."
    )
    if t != p and st.button(f"🔬 Why {names[t]} vs {names[p]}? Open the pair lens"):
        navigation.go(navigation.PAIR_LENS)  # the lens opens on the pair the click set
    if len(rows) == 0:
        st.info("No test sample falls in this cell.")
        return
    page = paged(rows, "cell_page")
    titles = [f"#{i} {c:.0%}" for i, c in zip(page.index, page.confidence, strict=True)]
    tiles(inspection, page, titles, "cell_grid")
    st.dataframe(rows_frame(page, names), column_config={"confidence": PERCENT}, hide_index=True)


def gallery(inspection: Inspection) -> None:
    """Every misclassified test sample, filtered by true/predicted class, sorted by confidence."""
    k, names = inspection.evaluation.num_classes, inspection.names
    classes = [-1, *range(k)]
    for key in ("keep_gal_true", "keep_gal_pred"):
        if st.session_state.get(key) not in classes:
            st.session_state[key] = -1
    st.session_state.setdefault("keep_gal_confident_first", True)
    fmt = {-1: "any", **dict(enumerate(names))}.get
    c1, c2, c3 = st.columns(3)
    t = c1.selectbox(
        "True class", classes, key="keep_gal_true", persist_state="session", format_func=fmt
    )
    p = c2.selectbox(
        "Predicted class", classes, key="keep_gal_pred", persist_state="session", format_func=fmt
    )
    confident_first = c3.selectbox(
        "Order",
        [True, False],
        key="keep_gal_confident_first",
        persist_state="session",
        format_func=lambda b: "most confident first" if b else "least confident first",
    )
    rows = scoring.misclassified_rows(
        inspection.evaluation,
        None if t < 0 else t,
        None if p < 0 else p,
        confident_first,
    )
    if len(rows) == 0:
        st.info("No misclassified test sample matches these filters.")
        return
    page = paged(rows, "gallery_page")
    titles = [
        f"{short(names[a], 3)}→{short(names[b], 3)} {c:.0%}"
        for a, b, c in zip(page.true, page.pred, page.confidence, strict=True)
    ]
    tiles(inspection, page, titles, "gallery_grid")


# -- weights ------------------------------------------------------------------------------------
def weights(inspection: Inspection) -> None:
    """The weights at this epoch: first-layer units as images, deeper matrices, histograms."""
    net, shape = inspection.net, inspection.data.image_shape
    first, deeper, hist = st.tabs(
        ["First layer (what each unit looks for)", "Deeper layers", "Histograms"]
    )
    with first:
        st.plotly_chart(weight_views.first_layer_figure(net, shape), key="w_tiles")
    with deeper:
        deeper = weight_views.deeper_figures(net)
        if not deeper:
            st.caption(weight_views.NO_DEEPER_LAYERS)
        for i, (_, make) in enumerate(deeper, start=2):
            st.plotly_chart(make(), key=f"w_matrix_{i}")
    with hist:
        probe = weight_views.probe_batch(inspection.data, inspection.config.dtype)
        st.plotly_chart(weight_views.histogram_figure(net, probe), key="w_hist")
