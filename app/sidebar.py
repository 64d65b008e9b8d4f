"""The sidebar every page shows: the runs training on this server right now."""

from __future__ import annotations

import streamlit as st

from app import navigation
from app.fragments import live_fragment
from app.live_view import STATUS_ICONS, progress_text
from app.plain_text import md_plain
from app.state import get_registry, registry_problem
from app.tab_state import watch


@live_fragment(2.0)
def active_runs_sidebar() -> None:
    """Call inside `with st.sidebar:` (a fragment may not open the sidebar itself)."""
    st.subheader("Active runs")
    if registry_problem() is not None:  # the page itself shows the reason
        st.caption("Run data unavailable.")
        return
    runs = get_registry().active()
    if not runs:
        st.caption("No run is training. Start one on the Train page.")
        return
    for snap in runs:
        icon = STATUS_ICONS.get(snap.status, "")
        st.markdown(f"{icon} **{md_plain(snap.name)}** · {snap.status}")
        st.progress(snap.progress, text=progress_text(snap))
        if st.button("Watch", key=f"watch_{snap.run_id}"):
            watch(snap.run_id)
            navigation.go(navigation.TRAIN)
