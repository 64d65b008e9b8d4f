"""Sweep: try settings over several seeds and see which differences are more than seed noise."""

import time

import streamlit as st

from app.entry import require_entry
from app.fragments import live_fragment
from app.state import get_sweeps
from app.sweep_form import sweep_form
from app.sweep_view import SHOWN_KEY, pick_sweep, show_sweep, sweep_actions

require_entry(__file__)

st.title("Sweep")
st.caption(
    "Pick up to three settings to vary. Every point trains with the same seeds on the same "
    "data, batches and augmentation, so only the settings differ; each trial is a normal run "
    "(open it on Inspect, the Pair lens or Run vs run)."
)
sweeps = get_sweeps()
with st.expander("New sweep", expanded=not sweeps.list()):
    request = sweep_form()
    busy = sweeps.running_id() is not None
    if st.button("▶ Start the sweep", type="primary", disabled=request is None or busy):
        names = "×".join(a.name for a in request.plan.axes)
        label = f"sweep {time.strftime('%m-%d %H:%M')} {names}"
        try:
            st.session_state[SHOWN_KEY] = sweeps.start(
                request.plan, label, request.executor, request.address
            )
        except Exception as exc:  # noqa: BLE001 - the store may refuse (read-only, disk full)
            st.error(f"Could not start the sweep: {exc}")
shown_id = pick_sweep(sweeps)
first = sweeps.snapshot(shown_id) if shown_id else None
if first is not None:
    executor, address = (request.executor, request.address) if request else ("local", "")
    sweep_actions(sweeps, first, executor, address)  # a resume runs where the form says
running = first is not None and first.running


@live_fragment(1.0 if running else None)
def sweep_panel() -> None:
    snap = sweeps.snapshot(shown_id) if shown_id else None
    if snap is None:
        st.info("No sweep yet: choose its settings under New sweep and start it.")
        return
    show_sweep(snap)
    if running and not snap.running:
        st.rerun()  # one full rerun turns polling off and re-enables Start


sweep_panel()
