"""Run vs run's pieces: pick two ended runs on the same data, evaluate both, diff the mistakes.

Each run is evaluated through the Inspect page's cached loader (one evaluation per run and
epoch). A click on the difference matrix is kept in keep_diff_cell as (true, pred, change).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

import figures
from app import run_picker, tab_state
from app.plain_text import md_plain
from app.run_picker import Inspection
from figures.theme import BAD, GOOD
from netlib import confusions, metrics
from runlayer.records import RunRecord, RunStatus

A_KEY, B_KEY, CHECKPOINT_KEY = "keep_diff_a", "keep_diff_b", "keep_diff_checkpoint"
CHART_KEY, CELL_KEY = "diff_chart", "keep_diff_cell"
MAX_TILES = 60
KEEP = "session"  # these choices survive page switches


def ended_runs(records: list[RunRecord]) -> list[RunRecord]:
    ended = RunStatus.ENDED_WITH_WEIGHTS
    return [r for r in run_picker.pickable_runs(records) if r.status in ended]


def default_pair(runs: list[RunRecord]) -> tuple[str, str]:
    """(A, B) ids: the newest run B that has an older run A on the same data (else the two newest).

    `runs` is newest first, as ended_runs returns them.
    """
    for i, b in enumerate(runs):
        for a in runs[i + 1 :]:
            if a.config.dataset == b.config.dataset:
                return a.id, b.id
    return runs[1].id, runs[0].id


def choose_runs(store) -> tuple[RunRecord, RunRecord, str] | None:
    """Run A, run B and the checkpoint of both (best or last); None after saying why they
    cannot be compared."""
    runs = {r.id: r for r in ended_runs(store.list_runs())}
    if len(runs) < 2:
        st.info(
            "Run vs run needs two finished runs trained on the same data set "
            f"({len(runs)} so far). Train another one on the Train page, e.g. a wider network."
        )
        return None
    ids = list(runs)
    for key, default in zip((A_KEY, B_KEY), default_pair(list(runs.values())), strict=True):
        if st.session_state.get(key) not in runs:
            st.session_state[key] = default
    st.session_state.setdefault(CHECKPOINT_KEY, "last")
    c1, c2, c3 = st.columns([3, 3, 2])

    def label(run_id: str) -> str:
        return run_picker.run_label(runs[run_id])

    a_id = c1.selectbox("Run A (before)", ids, key=A_KEY, format_func=label, persist_state=KEEP)
    b_id = c2.selectbox("Run B (after)", ids, key=B_KEY, format_func=label, persist_state=KEEP)
    checkpoint = c3.radio(
        "Weights",
        ["last", "best"],
        key=CHECKPOINT_KEY,
        persist_state=KEEP,
        horizontal=True,
        format_func={"last": "last epoch", "best": "best epoch"}.get,
    )
    a, b = runs[a_id], runs[b_id]
    if a.id == b.id:
        st.info("Pick two different runs.")
        return None
    if a.config.dataset != b.config.dataset:
        st.error(
            f"These runs cannot be compared: **{md_plain(a.name)}** was trained on "
            f"**{a.config.dataset}** and **{md_plain(b.name)}** on **{b.config.dataset}**. "
            "Mistakes can only be matched sample by sample on the same test set: pick two runs "
            "trained on the same data."
        )
        return None
    return a, b, checkpoint


def evaluate(registry, a: RunRecord, b: RunRecord, checkpoint: str):
    """Both runs evaluated on their (shared) test set; None after saying why not."""
    pair = []
    for name, record in (("A", a), ("B", b)):
        inspection = run_picker.load(registry, record, checkpoint)
        if inspection is None:
            st.caption(f"(run {name}: {md_plain(record.name)})")
            return None
        pair.append(inspection)
    ia, ib = pair
    if not np.array_equal(ia.evaluation.labels, ib.evaluation.labels):
        st.error("The two runs' test sets differ (the data set changed between them).")
        return None
    return ia, ib


def copy_click() -> None:
    cell = figures.diff_cell_from_selection(st.session_state.get(CHART_KEY))
    if cell is not None:
        st.session_state[CELL_KEY] = cell


def totals(ia: Inspection, ib: Inspection, fixed: np.ndarray, introduced: np.ndarray) -> None:
    c1, c2, c3, c4, c5 = st.columns(5)
    acc_a, acc_b = ia.evaluation.accuracy, ib.evaluation.accuracy
    c1.metric("Run A test accuracy", f"{acc_a:.2%}")
    c2.metric("Run B test accuracy", f"{acc_b:.2%}", f"{acc_b - acc_a:+.2%}")
    c3.metric("Mistakes B fixed", f"{int(fixed.sum()):,}")
    c4.metric("Mistakes B introduced", f"{int(introduced.sum()):,}")
    c5.metric("Net change in errors", f"{int(introduced.sum() - fixed.sum()):+,}")


def pair_line(ia: Inspection, ib: Inspection, fixed: np.ndarray, introduced: np.ndarray) -> None:
    """The pair the Pair lens looks at (4 and 9 by default), both ways, in one sentence."""
    a, b = confusions.resolve_pair(tab_state.pair(), ia.evaluation.confusion())
    names, cma, cmb = ia.names, ia.evaluation.confusion(), ib.evaluation.confusion()
    na, nb = names[a], names[b]

    def both(m: np.ndarray) -> str:
        return f"{m[a, b] + m[b, a]:,} ({na}→{nb}: {m[a, b]:,}, {nb}→{na}: {m[b, a]:,})"

    st.markdown(
        f"**{na} ↔ {nb}** mistakes: run A makes {both(cma)}, run B {both(cmb)}. "
        f"B fixed {both(fixed)} of A's and introduced {both(introduced)}."
    )


def matrix(ia: Inspection, ib: Inspection) -> tuple[np.ndarray, np.ndarray]:
    copy_click()  # a click faked through session state (tests) takes the same path
    fixed, introduced = metrics.fixed_and_introduced(
        ia.evaluation.labels, ia.evaluation.pred, ib.evaluation.pred, ia.evaluation.num_classes
    )
    totals(ia, ib, fixed, introduced)
    pair_line(ia, ib, fixed, introduced)
    fig = figures.diff_matrix_figure(fixed, introduced, ia.names)
    st.plotly_chart(fig, key=CHART_KEY, on_select=copy_click, selection_mode="points")
    st.caption(
        "Left: samples A got wrong (row = true class, column = what A said) that B gets right. "
        "Right: samples A got right that B now gets wrong (column = what B says). "
        "Click a cell to see its samples."
    )
    return fixed, introduced


def cell_samples(ia: Inspection, ib: Inspection) -> None:
    cell = st.session_state.get(CELL_KEY)
    k, names = ia.evaluation.num_classes, ia.names
    if cell is None or not (0 <= cell[0] < k and 0 <= cell[1] < k and cell[2] in (0, 1)):
        st.info("Click a cell of either matrix to see the samples behind it.")
        return
    t, p, change = (int(v) for v in cell)
    y, pa, pb = ia.evaluation.labels, ia.evaluation.pred, ib.evaluation.pred
    index = confusions.diff_cell_samples(y, pa, pb, t, p, change)
    what = (
        f"true {names[t]} that A took for {names[p]} and B gets right"
        if change == confusions.FIXED
        else f"true {names[t]} that A got right and B takes for {names[p]}"
    )
    kind = "Fixed" if change == confusions.FIXED else "Introduced"
    st.markdown(f"**{kind}**: {len(index):,} {what}.")
    if len(index) == 0:
        st.info("No test sample falls in this cell.")
        return
    shown = index[:MAX_TILES]
    if len(index) > MAX_TILES:
        st.caption(f"Showing the first {MAX_TILES} of {len(index):,}.")
    titles = [f"#{i} A:{names[pa[i]]} B:{names[pb[i]]}" for i in shown]
    fig = figures.image_grid(
        ia.data.test_images[shown],
        titles,
        cols=10,
        max_value=ia.data.max_value,
        colors=[GOOD if change == confusions.FIXED else BAD] * len(shown),
    )
    st.plotly_chart(fig, key="diff_grid")
