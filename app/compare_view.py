"""The Compare page's live parts: the runs table whose ticks follow run ids, and the
overlaid curves of the picked runs (app/compare_table.py builds their data)."""

from __future__ import annotations

import streamlit as st

import figures
from app.compare_table import curve_series, runs_table, selection_rows, table_key
from app.fragments import live_fragment
from app.live_view import show_live
from app.state import get_registry
from netlib import nets
from runlayer.records import RunRecord

#: The overlaid curves: (column, chart key, metric).
OVERLAYS = (
    (0, "cmp_loss", "val_loss"),
    (1, "cmp_acc", "test_acc"),
    (0, "cmp_tloss", "train_loss"),
    (1, "cmp_vacc", "val_acc"),
)
PICKED = "compare_picked"


def data_shapes(records: list[RunRecord]) -> dict:
    """Data set id -> ((1, height, width), classes) for the runs' data sets this server knows."""
    shapes = {}
    for dataset in {r.config.dataset for r in records}:
        shape = get_registry().data_shape(dataset)
        if shape is not None:
            shapes[dataset] = (nets.input_shape((shape.height, shape.width)), shape.classes)
    return shapes


def pick_runs(records: list[RunRecord]) -> list[str]:
    """The runs table; returns the ids of the ticked rows (kept by id across reruns)."""
    table = runs_table(records, data_shapes(records))
    st.caption("Select rows to overlay their curves. Accuracies are on the test set unless noted.")
    ids = list(table["id"])
    event = st.dataframe(
        table,
        key=table_key(ids),
        on_select="rerun",
        selection_mode="multi-row",
        selection_default=selection_rows(ids, st.session_state.get(PICKED, [])),
        hide_index=True,
        column_config={
            "id": None,
            "best val acc": st.column_config.NumberColumn(format="percent"),
            "test acc": st.column_config.NumberColumn(format="percent"),
            "lr": st.column_config.NumberColumn(format="%g"),
        },
        width="stretch",
    )
    picked = [ids[i] for i in event.selection.rows if i < len(ids)] if event else []
    st.session_state[PICKED] = picked  # kept by run id, whatever the rows do
    return picked


def overlay(registry, picked: list[str], by_id: dict[str, RunRecord]) -> None:
    """The picked runs' curves, refreshed every second while one of them trains."""
    live = any(by_id[i].active for i in picked)

    @live_fragment(1.0 if live else None)
    def curves() -> None:
        if not picked:
            st.info("Select one or more rows above to overlay their curves.")
            return
        runs = []
        for run_id in picked:
            snap = registry.snapshot(run_id)
            metrics = list(snap.metrics) if snap else registry.store.epoch_metrics(run_id)
            runs.append(curve_series(by_id[run_id].name, metrics))
        # Live charts, updated in place; each is built once per change of the picked runs'
        # names or epochs, for all tabs (the same cache as the Train page's charts).
        shown = zip(picked, runs, strict=True)
        version = tuple((run_id, r["name"], len(r["epochs"])) for run_id, r in shown)
        columns = st.columns(2)
        for column, key, metric in OVERLAYS:
            build = lambda m=metric: figures.compare_curves(runs, m)  # noqa: E731
            show_live(key, version, build, columns[column])

    curves()
