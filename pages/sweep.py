"""Sweep: try settings over several seeds and see which differences are more than seed noise."""

import streamlit as st

from app.entry import require_entry
from app.fragments import live_fragment
from app.state import get_sweeps
from app.sweep_view import show_sweep, sweep_form

require_entry(__file__)

st.title("Sweep")
st.caption(
    "Pick up to three settings to vary. Every point trains with the same seeds on the same "
    "data, batches and augmentation, so only the settings differ; each trial is a normal run "
    "(open it on Inspect, the Pair lens or Run vs run)."
)
sweeps = get_sweeps()
plan = sweep_form()
first = sweeps.snapshot()
running = first is not None and first.state == "running"
left, right = st.columns([1, 1])
if left.button("▶ Start the sweep", type="primary", disabled=plan is None or running):
    sweeps.start(plan, f"sweep {len(plan.axes)} axes x {plan.seeds} seeds")
    running = True
if right.button("⏹ Stop the sweep", disabled=not running):
    sweeps.stop()


@live_fragment(1.0 if running else None)
def sweep_panel() -> None:
    snap = sweeps.snapshot()
    if snap is None:
        st.info("No sweep yet: choose its settings above and start it.")
        return
    show_sweep(snap)
    if running and snap.state != "running":
        st.rerun()  # one full rerun turns polling off and re-enables Start


sweep_panel()
