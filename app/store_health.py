"""The run store's health in words for a page: disk per run, folders the database lost."""

from __future__ import annotations

import streamlit as st

from runlayer.errors import StoreError
from runlayer.registry import RunRegistry
from runlayer.store import RunStore


def disk_caption(store: RunStore, run_id: str, epochs_done: int) -> str:
    """'Weights on disk: 12.3 MB of a 100 MB budget · 14 of 230 epochs kept (...)'."""
    used, kept = store.disk_usage(run_id)
    budget = store.retention
    return (
        f"Weights on disk: {used / 1e6:.1f} MB of a {budget.budget_bytes / 1e6:.0f} MB budget "
        f"per run · {kept} of {epochs_done} epochs kept (the first {budget.first_epochs}, then "
        f"log-spaced, always the best and the last; at most {budget.max_checkpoints})"
    )


def offer_rebuild(registry: RunRegistry) -> None:
    """Run folders the database does not list (it was lost, truncated or replaced): say so and
    offer to bring them back from their manifests (runlayer/rebuild.py)."""
    orphans = registry.store.orphans()
    if not orphans:
        return
    st.warning(
        f"{len(orphans)} run folder(s) in the data directory are missing from the run "
        "database (it may have been lost, truncated or replaced). Their runs can be rebuilt "
        "from the folders.",
        icon="🧩",
    )
    if registry.store.owned and st.button("Rebuild the history from the run folders",
                                          key="rebuild_history"):  # fmt: skip
        try:
            report = registry.rebuild_history()
        except StoreError as exc:
            st.error(f"Could not rebuild: {exc}")
            return
        st.success(report.summary())
        for run_id, why in report.failed:
            st.caption(f"Run folder {run_id}: {why}")
