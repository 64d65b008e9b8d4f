"""Train: choose a network and its training, start it, and watch it learn live."""

import streamlit as st

from app.entry import require_entry
from app.fragments import live_fragment
from app.live_view import render_curves, render_run, render_weights
from app.state import get_registry
from app.tab_state import watch, watched_run
from app.train_form import render_form
from app.uploads import upload_expander, uploaded_choices

require_entry(__file__)

st.title("Train a network")
registry = get_registry()
left, right = st.columns([1, 2], gap="large")

with left:
    st.subheader("Next run")
    st.caption("These settings configure the next run you start. A run already training keeps "
               "its own; steer it on the right.")  # fmt: skip
    upload_expander(registry)
    config = render_form(uploaded_choices(registry))
    name = st.text_input("Run name (optional)", key="f_name", max_chars=80, persist_state="session")
    if st.button("▶ Start training", type="primary", disabled=config is None, width="stretch"):
        try:
            watch(registry.start(config, name or None))
        except Exception as exc:  # noqa: BLE001 - the store may refuse (disk full, unwritable)
            st.error(f"Could not start the run: {exc}")

run_id = watched_run()
first = registry.snapshot(run_id) if run_id else None
live = first is not None and first.active
# Polling costs the training thread CPU (same process): status every second, charts every 2 s
# (the trade-off measured in bench/README.md, bench_live_view.py).
STATUS_EVERY, CURVES_EVERY, WEIGHTS_EVERY = 1.0, 2.0, 2.0


@live_fragment(STATUS_EVERY if live else None)
def live_panel() -> None:
    snap = registry.snapshot(run_id) if run_id else None
    if snap is None:
        st.info(
            "Choose settings on the left and press **Start training**. "
            "Runs keep training if you close the tab; the sidebar lists them."
        )
        return
    render_run(snap, curves=False, weights=False)
    if live and not snap.active:
        st.rerun()  # one full rerun turns polling off once the run has ended


@live_fragment(CURVES_EVERY if live else None)
def curves_panel() -> None:
    snap = registry.snapshot(run_id) if run_id else None
    if snap is not None:
        render_curves(snap)


@live_fragment(WEIGHTS_EVERY if live else None)
def weights_panel() -> None:
    snap = registry.snapshot(run_id) if run_id else None
    if snap is not None:
        render_weights(snap)


with right:
    live_panel()
    curves_panel()
    weights_panel()
