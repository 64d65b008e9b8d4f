"""Looking after stored runs on the Compare page: rename, delete, and runs that cannot be read."""

from __future__ import annotations

import streamlit as st

from app.plain_text import md_plain
from runlayer.records import RunRecord


def warn_unreadable(unreadable: list[tuple[RunRecord, str]]) -> None:
    """One warning per stored run whose config no longer validates, with the reason."""
    for rec, reason in unreadable:
        st.warning(f"Run **{md_plain(rec.name)}** ({rec.id}) cannot be read: {md_plain(reason)}")


def rename_or_delete(registry, by_id: dict[str, RunRecord]) -> None:
    """An expander to rename one run or delete it (with its weights) after a confirmation."""
    with st.expander("Rename or delete a run"):
        target = st.selectbox(
            "Run", list(by_id), format_func=lambda i: by_id[i].name, key="compare_target"
        )
        # Keyed by run: choosing another run shows that run's name, not the last one typed.
        new_name = st.text_input(
            "New name", value=by_id[target].name, max_chars=80, key=f"compare_new_name_{target}"
        )
        c1, c2 = st.columns(2)
        if c1.button("Rename"):
            try:
                registry.rename(target, new_name)
                st.rerun()
            except ValueError as exc:
                st.error(md_plain(str(exc)))
        confirm = c2.checkbox("Yes, delete it and its saved weights", key="compare_confirm_delete")
        if c2.button("Delete", disabled=not confirm, type="primary"):
            try:
                registry.delete(target)
                st.rerun()
            except Exception as exc:  # noqa: BLE001 - shown to the person, never a traceback
                st.error(f"Could not delete: {md_plain(str(exc))}")
