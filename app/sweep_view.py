"""The Sweep page's view of one sweep: which sweep, what can be done with it (stop, resume,
delete, export, open its best point), and its state: trials, results per point, verdict,
importance, curves with seed bands, the objective per setting and parallel coordinates.

Everything shown is read from the sweep store (runlayer/sweep_jobs.py snapshots), so a sweep
looks the same live, after it ended and after a restart.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

import figures
from app import navigation
from app.plain_text import md_plain
from app.train_form import load_config
from netlib.sweep import describe, ranked
from runlayer.errors import RunError, StoreError
from runlayer.sweep_charts import chart_axes, labelled_curves, parallel_rows, setting_points
from runlayer.sweep_jobs import SweepJobs, SweepSnapshot

SHOWN_KEY = "sweep_shown"
RESUME_HELP = "Finished trials are kept; unfinished ones run again (where the form above says)"


def pick_sweep(jobs: SweepJobs) -> str | None:
    """The sweep this tab shows (the running one after a start); None when there is none."""
    listed = jobs.list()
    if not listed:
        return None
    ids = [s.id for s in listed]
    when = {s.id: time.strftime("%Y-%m-%d %H:%M", time.localtime(s.created)) for s in listed}
    # No state in the label: a keyed box keeps showing the text it first had for its value.
    labels = {s.id: f"{s.label} · started {when[s.id]}" for s in listed}
    if st.session_state.get(SHOWN_KEY) not in ids:
        st.session_state[SHOWN_KEY] = jobs.running_id() or ids[0]
    return st.selectbox("Sweep", ids, key=SHOWN_KEY, format_func=labels.get)


def sweep_actions(jobs: SweepJobs, snap: SweepSnapshot, executor: str, address: str) -> None:
    """Buttons for the shown sweep; each says what went wrong instead of failing."""
    cols = st.columns(4)
    try:
        resumable = snap.info.state in ("stopped", "interrupted", "failed") and snap.plan
        if snap.running and cols[0].button("⏹ Stop the sweep", key="sweep_stop"):
            jobs.stop()
        elif resumable and cols[0].button("⏵ Resume", key="sweep_resume", help=RESUME_HELP):
            jobs.resume(snap.info.id, executor, address)
            st.rerun()
        cols[1].download_button(
            "⬇ Results (CSV)", snap.csv(), file_name=f"{snap.info.label}.csv".replace(" ", "_"),
            mime="text/csv", key="sweep_csv", disabled=not snap.points,
        )  # fmt: skip
        best = ranked(snap.points, snap.plan.objective) if snap.plan else []
        if cols[2].button("Open the best point in Train", key="sweep_best", disabled=not best):
            load_config(snap.plan.config(best[0].point, 0))
            navigation.go(navigation.TRAIN)
        sure = cols[3].checkbox("Delete with its trials", key="sweep_delete_sure",
                                disabled=snap.running)  # fmt: skip
        if sure and cols[3].button("🗑 Delete the sweep", key="sweep_delete"):
            gone = jobs.delete(snap.info.id)
            st.session_state.pop(SHOWN_KEY, None)
            st.toast(f"Deleted the sweep and its {gone} runs")
            st.rerun()
    except (RunError, StoreError) as exc:
        st.error(md_plain(str(exc)))


def show_sweep(snap: SweepSnapshot) -> None:
    """One sweep's state, as the page polls it."""
    t, info = snap.trials, snap.info
    objective = snap.plan.objective.label if snap.plan else "?"
    st.markdown(
        f"**{md_plain(info.label)}** · {info.state} on {info.executor} · trials: {t['running']} "
        f"running, {t['queued']} queued, {t['pruned']} pruned, {t['finished']} finished, "
        f"{t['failed']} failed, {t['interrupted']} interrupted · objective: {objective}"
    )
    if info.reason:
        st.caption(md_plain(info.reason))
    if snap.points:
        table = pd.DataFrame(snap.table()).rename(columns={"seconds": "s/run"})
        st.dataframe(table, hide_index=True, width="stretch", key="sweep_points")
    st.info(snap.verdict)
    if info.importance:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in info.importance.items())
        st.caption(f"Importance of each setting (Optuna): {shares}")
    if snap.plan is None or not snap.points:
        return
    y_title = snap.plan.objective.label
    st.plotly_chart(figures.seed_bands(labelled_curves(snap), y_title), key="sweep_bands")
    axes = chart_axes(snap.plan)
    st.plotly_chart(
        figures.objective_by_setting(axes, setting_points(snap), y_title), key="sweep_by_setting"
    )
    rows, dims = parallel_rows(snap)
    if len(dims) > 2:
        title = "Points by setting (colour: objective)"
        fig = figures.parallel_coordinates(rows, dims, "objective", title=title)
        st.plotly_chart(fig, key="sweep_parallel")
    with st.expander(f"Trials ({len(snap.rows)}): where each ran, its run id"):
        st.dataframe(_trials_table(snap), hide_index=True, width="stretch", key="sweep_trials")


def _trials_table(snap: SweepSnapshot) -> pd.DataFrame:
    rows = [
        {
            "point": describe(snap.points[t.idx].point) if t.idx < len(snap.points) else t.idx,
            "seed": t.seed + 1,
            "status": t.status,
            "objective": t.value,
            "s": t.train_seconds,
            "ran on": t.place,
            "run id": t.run_id,
            "reason": t.reason,
        }
        for t in snap.rows
    ]
    return pd.DataFrame(rows)
