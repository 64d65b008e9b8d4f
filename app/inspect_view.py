"""The Inspect page's pieces: pick a run and epoch, evaluate it once, draw what it gets wrong.

Choices that must survive page switches use "keep_" keys. A click on the confusion matrix is
copied into keep_cell (what this page lists) and the tab's pair (what the pair lens opens on).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

import figures
from app import navigation
from app.data_view import needs_download
from app.live_view import STATUS_ICONS
from app.plain_text import md_plain
from app.tab_state import set_pair, watched_run
from figures.theme import BAD, GOOD
from netlib import analysis, metrics
from netlib.config import NetConfig
from netlib.data.dataset import DataError, Dataset
from netlib.modelfile import ModelFileError
from netlib.network import MLP
from runlayer import paths
from runlayer.errors import NoWeightsError, RunNotFoundError
from runlayer.records import RunRecord

PICKABLE = ("finished", "stopped", "interrupted", "running", "paused")
RUN_KEY, EPOCH_KEY = "keep_inspect_run", "keep_inspect_epoch"
CHART_KEY, CELL_KEY = "cm_chart", "keep_cell"
PER_PAGE = 40
PERCENT = st.column_config.NumberColumn(format="percent")


@dataclass(frozen=True)
class Inspection:
    """One run at one saved epoch, evaluated on its test split."""

    record: RunRecord
    net: MLP
    config: NetConfig
    epoch: int | str
    data: Dataset
    ev: analysis.Evaluation

    @property
    def names(self) -> list[str]:
        return [str(c) for c in self.data.class_names]


# -- choosing ----------------------------------------------------------------------------------
def pickable_runs(records: list[RunRecord]) -> list[RunRecord]:
    """Runs that can have saved weights, newest first."""
    runs = [r for r in records if r.status in PICKABLE]
    return sorted(runs, key=lambda r: r.created, reverse=True)


def run_label(r: RunRecord) -> str:
    acc = r.final_test_acc if r.final_test_acc is not None else r.best_test_acc
    score = f" · test {acc:.1%}" if acc is not None else ""
    return f"{STATUS_ICONS.get(r.status, '')} {r.name} · {r.status} · {r.epochs_done} ep{score}"


def choose_run(store) -> RunRecord | None:
    """Run picker; says so when the remembered run was deleted or nothing can be inspected."""
    runs = {r.id: r for r in pickable_runs(store.list_runs())}
    wanted = st.session_state.get(RUN_KEY)
    if wanted is not None and wanted not in runs:
        record = store.get_run(wanted)
        if record is None:
            st.warning("The run you were inspecting no longer exists (it was deleted).")
        else:
            st.info(
                f"Run **{md_plain(record.name)}** is {record.status}, so it is not listed here."
            )
        del st.session_state[RUN_KEY]
    if not runs:
        st.info("No run to inspect yet: train one on the Train page.")
        return None
    default = watched_run() if watched_run() in runs else next(iter(runs))
    st.session_state.setdefault(RUN_KEY, default)
    st.selectbox(
        "Run",
        list(runs),
        key=RUN_KEY,
        persist_state="session",
        format_func=lambda i: run_label(runs[i]),
    )
    return runs[st.session_state[RUN_KEY]]


def choose_epoch(store, record: RunRecord) -> int | str | None:
    """Epoch picker: "best" and every saved epoch, newest first; None (explained) if none."""
    options: list[int | str] = list(reversed(store.saved_epochs(record.id)))
    if paths.best_path(store.home, record.id).is_file():
        options.insert(0, "best")
    if not options:
        when = "its first epoch ends" if record.active else "a run finishes an epoch"
        st.info(
            f"Run **{md_plain(record.name)}** has no saved weights ({record.status}, no finished "
            f"epoch): there is nothing to inspect until {when}."
        )
        return None
    if st.session_state.get(EPOCH_KEY) not in options:
        st.session_state[EPOCH_KEY] = options[0]
    best = f"best (epoch {record.best_epoch})" if record.best_epoch else "best"
    st.selectbox(
        "Epoch",
        options,
        key=EPOCH_KEY,
        persist_state="session",
        format_func=lambda e: best if e == "best" else f"epoch {e}",
    )
    return st.session_state[EPOCH_KEY]


# -- loading and evaluating once ----------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner="Evaluating the network on the test set…")
def _evaluation(run_id: str, epoch, dataset_id: str, loss: str, _net: MLP, _ds: Dataset):
    """Cached per (run, epoch): a saved epoch's weights never change, and ids are never reused."""
    return analysis.evaluate(_net, _ds.test_images, _ds.test_labels, _ds.max_value, loss)


def load(registry, record: RunRecord, which: int | str) -> Inspection | None:
    """Weights, data and test-set evaluation of one run at one epoch; None after saying why."""
    try:
        net, config, meta = registry.store.load_weights(record.id, which)
    except RunNotFoundError:
        st.warning("This run no longer exists (it was deleted). Pick another one.")
        return None
    except NoWeightsError as exc:
        st.info(f"Nothing to inspect: {exc}.")
        return None
    except ModelFileError as exc:
        st.error(f"The saved weights of this run cannot be read: {md_plain(exc)}")
        return None
    if needs_download(config.dataset):
        st.info(
            f"This run was trained on **{config.dataset}**, which is not downloaded on this "
            "computer: download it on the Data page first."
        )
        navigation.link(navigation.DATA)
        return None
    try:
        ds = registry.dataset(config.dataset)
        epoch = meta.get("epoch", which)  # "best" is keyed by the epoch it came from
        ev = _evaluation(record.id, epoch, config.dataset, config.loss, net, ds)
    except (DataError, ValueError) as exc:
        # Never another data set in its place: an upload's id names its content, and an id of
        # the old in-memory scheme (upload-7) or a deleted upload is refused with its reason.
        st.error(f"Cannot evaluate this run on its test data: {exc}")
        return None
    return Inspection(record, net, config, which, ds, ev)


# -- tiles and tables ---------------------------------------------------------------------------
def short(name: str, n: int = 6) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def rows_frame(rows: analysis.SampleRows, names: list[str]) -> pd.DataFrame:
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


def paged(rows: analysis.SampleRows, key: str) -> analysis.SampleRows:
    """One page of rows, with a page number input when they do not fit on one."""
    _, _, pages = analysis.page_bounds(len(rows), 1, PER_PAGE)
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1
    page = st.number_input("Page", 1, pages, key=key) if pages > 1 else 1
    start, stop, _ = analysis.page_bounds(len(rows), page, PER_PAGE)
    st.caption(f"Showing {start + 1}–{stop} of {len(rows):,}")
    return rows.page(start, stop)


def tiles(insp: Inspection, rows: analysis.SampleRows, titles: list[str], key: str) -> None:
    fig = figures.image_grid(
        insp.data.test_images[rows.index],
        titles,
        cols=10,
        max_value=insp.data.max_value,
        colors=[GOOD if t == p else BAD for t, p in zip(rows.true, rows.pred, strict=True)],
    )
    st.plotly_chart(fig, key=key, width="stretch")


def _new_seed() -> None:
    st.session_state["keep_pred_seed"] += 1


def predictions(insp: Inspection) -> None:
    """Random test samples with the predicted class and its confidence; green right, red wrong."""
    st.session_state.setdefault("keep_pred_which", "all")
    st.session_state.setdefault("keep_pred_seed", 0)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.radio(
        "Show",
        analysis.WHICH_SAMPLES,
        key="keep_pred_which",
        persist_state="session",
        horizontal=True,
        format_func={"all": "any sample", "right": "right ones", "wrong": "wrong ones"}.get,
    )
    c2.button("🔀 Other samples", key="pred_shuffle", on_click=_new_seed)
    ev, names = insp.ev, insp.names
    index = analysis.prediction_sample(
        ev.correct, 30, st.session_state["keep_pred_seed"], st.session_state["keep_pred_which"]
    )
    if len(index) == 0:
        st.info("No such test sample.")
        return
    rows = analysis.sample_rows(ev, index)
    titles = [
        f"{'✓' if t == p else '✗'} {short(names[p])} {c:.0%}"
        for t, p, c in zip(rows.true, rows.pred, rows.confidence, strict=True)
    ]
    tiles(insp, rows, titles, "pred_grid")


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


def confusion(insp: Inspection) -> None:
    """Clickable matrix (counts or % of row) beside per-class precision, recall, F1, support."""
    st.session_state.setdefault("keep_cm_normalize", False)
    copy_click()  # a click faked through session state (tests) takes the same path
    cm = insp.ev.confusion()
    left, right = st.columns([3, 2])
    with left:
        st.toggle(
            "Row-normalised (% of each true class)",
            key="keep_cm_normalize",
            persist_state="session",
        )
        fig = figures.confusion_matrix_figure(
            cm,
            insp.names,
            st.session_state["keep_cm_normalize"],
            highlight=clicked_cell(len(cm)),
        )
        st.plotly_chart(fig, key=CHART_KEY, on_select=copy_click, selection_mode="points")
        st.caption("Click a cell to list its test samples below.")
    right.dataframe(
        report_frame(cm, insp.names),
        column_config={c: PERCENT for c in ("precision", "recall", "F1")},
    )


def cell_samples(insp: Inspection) -> None:
    """Exactly the test samples of the clicked cell, most confident first, with their top 3."""
    cell = clicked_cell(insp.ev.num_classes)
    if cell is None:
        st.info("Click a cell of the confusion matrix to see its samples.")
        return
    t, p = cell
    rows = analysis.cell_rows(insp.ev, t, p)
    names = insp.names
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
    tiles(insp, page, titles, "cell_grid")
    st.dataframe(rows_frame(page, names), column_config={"confidence": PERCENT}, hide_index=True)


def gallery(insp: Inspection) -> None:
    """Every misclassified test sample, filtered by true/predicted class, sorted by confidence."""
    k, names = insp.ev.num_classes, insp.names
    classes = [-1, *range(k)]
    for key in ("keep_gal_true", "keep_gal_pred"):
        if st.session_state.get(key) not in classes:
            st.session_state[key] = -1
    st.session_state.setdefault("keep_gal_confident_first", True)
    fmt = {-1: "any", **dict(enumerate(names))}.get
    c1, c2, c3 = st.columns(3)
    c1.selectbox(
        "True class", classes, key="keep_gal_true", persist_state="session", format_func=fmt
    )
    c2.selectbox(
        "Predicted class", classes, key="keep_gal_pred", persist_state="session", format_func=fmt
    )
    c3.selectbox(
        "Order",
        [True, False],
        key="keep_gal_confident_first",
        persist_state="session",
        format_func=lambda b: "most confident first" if b else "least confident first",
    )
    t, p = st.session_state["keep_gal_true"], st.session_state["keep_gal_pred"]
    rows = analysis.misclassified_rows(
        insp.ev,
        None if t < 0 else t,
        None if p < 0 else p,
        st.session_state["keep_gal_confident_first"],
    )
    if len(rows) == 0:
        st.info("No misclassified test sample matches these filters.")
        return
    page = paged(rows, "gallery_page")
    titles = [
        f"{short(names[a], 3)}→{short(names[b], 3)} {c:.0%}"
        for a, b, c in zip(page.true, page.pred, page.confidence, strict=True)
    ]
    tiles(insp, page, titles, "gallery_grid")


# -- weights ------------------------------------------------------------------------------------
def weights(insp: Inspection) -> None:
    """The weights at this epoch: first-layer units as images, deeper matrices, histograms."""
    net, shape = insp.net, insp.data.image_shape
    first, deeper, hist = st.tabs(
        ["First layer (what each unit looks for)", "Deeper layers", "Histograms"]
    )
    with first:
        cols = None if len(net.weights) > 1 else 10  # no hidden layer: one tile per class
        st.plotly_chart(figures.weight_tiles(net.weights[0], shape, cols=cols), key="w_tiles")
    with deeper:
        if len(net.weights) == 1:
            st.caption("No deeper layers: this network has no hidden layer.")
        for i, w in enumerate(net.weights[1:], start=2):
            title = f"layer {i}: {w.shape[0]} → {w.shape[1]}"
            st.plotly_chart(figures.weight_matrix(w, title), key=f"w_matrix_{i}")
    with hist:
        names = [f"layer {i + 1}" for i in range(len(net.weights))]
        st.plotly_chart(figures.weight_histograms(net.weights, names), key="w_hist")
