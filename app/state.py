"""Process-wide and per-tab state, in one place.

One run registry per server process (st.cache_resource: shared by every tab, survives reruns);
per-tab choices live in st.session_state under stable keys.
"""

from __future__ import annotations

import streamlit as st

from runlayer.registry import RunRegistry

# Widgets whose values must survive switching pages (Streamlit drops them otherwise).
PERSISTENT_PREFIXES = ("f_", "keep_")


@st.cache_resource
def get_registry() -> RunRegistry:
    return RunRegistry()


def keep_widget_values() -> None:
    """Re-assign persistent widget keys so Streamlit keeps them across page switches."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(PERSISTENT_PREFIXES):
            st.session_state[key] = st.session_state[key]


def watched_run() -> str | None:
    """The run this tab follows (the last it started or picked), if any."""
    return st.session_state.get("keep_run_id")


def watch(run_id: str | None) -> None:
    st.session_state["keep_run_id"] = run_id
