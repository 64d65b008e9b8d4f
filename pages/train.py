"""Train: choose a network and its training, start it, and watch it learn live."""

import streamlit as st

from app.live_view import render_run
from app.state import get_registry, watch, watched_run
from app.train_form import render_form
from app.uploads import upload_expander, uploaded_choices

st.title("Train a network")
registry = get_registry()
left, right = st.columns([1, 2], gap="large")

with left:
    upload_expander(registry)
    config = render_form(uploaded_choices(registry))
    name = st.text_input("Run name (optional)", key="f_name", max_chars=80)
    if st.button("▶ Start training", type="primary", disabled=config is None, width="stretch"):
        try:
            watch(registry.start(config, name or None))
        except Exception as exc:  # noqa: BLE001 - the store may refuse (disk full, unwritable)
            st.error(f"Could not start the run: {exc}")

run_id = watched_run()
first = registry.snapshot(run_id) if run_id else None
poll = 0.5 if first is not None and first.active else None


@st.fragment(run_every=poll)
def live_panel() -> None:
    snap = registry.snapshot(run_id) if run_id else None
    if snap is None:
        st.info(
            "Choose settings on the left and press **Start training**. "
            "Runs keep training if you close the tab; the sidebar lists them."
        )
        return
    render_run(snap)
    if poll and not snap.active:
        st.rerun()  # one full rerun turns polling off once the run has ended


with right:
    live_panel()
