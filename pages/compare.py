"""Compare: every stored run in one table; overlay the curves of the ones you pick."""

import streamlit as st

import figures
from app.compare_table import (
    PARALLEL_DIMENSIONS,
    curve_series,
    parallel_rows,
    runs_table,
    selection_rows,
    split_readable,
    table_key,
)
from app.entry import require_entry
from app.live_view import show_live
from app.run_admin import rename_or_delete, warn_unreadable
from app.state import get_registry
from app.store_health import offer_rebuild

require_entry(__file__)
#: The overlaid curves: (column, chart key, metric).
OVERLAYS = (
    (0, "cmp_loss", "val_loss"),
    (1, "cmp_acc", "test_acc"),
    (0, "cmp_tloss", "train_loss"),
    (1, "cmp_vacc", "val_acc"),
)

st.title("Compare runs")
registry = get_registry()
records, unreadable = split_readable(registry.store.list_runs())
warn_unreadable(unreadable)
offer_rebuild(registry)
if not records:
    st.info("No runs yet. Train one on the Train page; every run is kept here.")
    st.stop()

table = runs_table(records)
st.caption("Select rows to overlay their curves. Accuracies are on the test set unless noted.")
ids = list(table["id"])
event = st.dataframe(
    table,
    key=table_key(ids),
    on_select="rerun",
    selection_mode="multi-row",
    selection_default=selection_rows(ids, st.session_state.get("compare_picked", [])),
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
st.session_state["compare_picked"] = picked  # kept by run id, whatever the rows do
by_id = {r.id: r for r in records}

rename_or_delete(registry, by_id)

live = any(by_id[i].active for i in picked)


@st.fragment(run_every=1.0 if live else None)
def overlay() -> None:
    if not picked:
        st.info("Select one or more rows above to overlay their curves.")
        return
    runs = []
    for run_id in picked:
        snap = registry.snapshot(run_id)
        metrics = list(snap.metrics) if snap else registry.store.epoch_metrics(run_id)
        runs.append(curve_series(by_id[run_id].name, metrics))
    # Live charts, updated in place; each is built once per change of the picked runs' names
    # or epochs, for all tabs (the same cache as the Train page's charts).
    shown = zip(picked, runs, strict=True)
    version = tuple((run_id, r["name"], len(r["epochs"])) for run_id, r in shown)
    columns = st.columns(2)
    for column, key, metric in OVERLAYS:
        build = lambda m=metric: figures.compare_curves(runs, m)  # noqa: E731
        show_live(key, version, build, columns[column])


overlay()
st.subheader("Hyperparameters vs test accuracy")
st.plotly_chart(
    figures.parallel_coordinates(parallel_rows(records), PARALLEL_DIMENSIONS), key="parcoords"
)
