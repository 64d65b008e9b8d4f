"""Make every page run through dashboard.py's navigation, even on a session's first request.

Streamlit treats a folder named `pages/` beside the entry file as old-style pages: a new
session opened on a deep link such as /inspect runs that page alone (no shared sidebar, the
wrong page list). Pages call require_entry() first; in a session that has not run dashboard.py
yet it goes through dashboard.py, which then forwards to the page that was asked for.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
_SEEN = "_entry_seen"
_WANTED = "_wanted_page"


def mark_entry() -> None:
    """Called by dashboard.py on every run, before the page runs."""
    st.session_state[_SEEN] = True


def require_entry(page_file: str) -> None:
    """At the top of a page: a session that never ran dashboard.py goes through it first."""
    if st.session_state.get(_SEEN):
        return
    st.session_state[_WANTED] = Path(page_file).resolve().relative_to(ROOT).as_posix()
    st.switch_page("dashboard.py")


def forward_wanted_page() -> None:
    """In dashboard.py after st.navigation: finish a redirect that require_entry started."""
    wanted = st.session_state.pop(_WANTED, None)
    if wanted:
        st.switch_page(wanted)
