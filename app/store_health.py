"""What the run store costs on disk, in words for a page (one caption per run)."""

from __future__ import annotations

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
