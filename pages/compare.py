"""Compare: every stored run in one table; overlay the curves of the ones you pick."""

import streamlit as st

import figures
from app import compare_view
from app.compare_table import PARALLEL_DIMENSIONS, parallel_rows
from app.entry import require_entry
from app.run_admin import rename_or_delete, warn_unreadable
from app.state import get_registry
from app.store_health import offer_rebuild
from runlayer.records import split_readable

require_entry(__file__)

st.title("Compare runs")
registry = get_registry()
records, unreadable = split_readable(registry.store.list_runs())
warn_unreadable(unreadable)
offer_rebuild(registry)
if not records:
    st.info("No runs yet. Train one on the Train page; every run is kept here.")
    st.stop()

picked = compare_view.pick_runs(records)
by_id = {r.id: r for r in records}
rename_or_delete(registry, by_id)
compare_view.overlay(registry, picked, by_id)
st.subheader("Hyperparameters vs test accuracy")
st.plotly_chart(
    figures.parallel_coordinates(parallel_rows(records), PARALLEL_DIMENSIONS), key="parcoords"
)
