"""The Sweep page's pieces: the sweep's settings (from a preset, with up to three axes) and its
live state (trials, the results per point, the verdict, the importance of each setting).

The sweep itself runs in the run layer (runlayer/sweep_jobs.py); every trial is a normal run of
the store, so Inspect, the Pair lens and Run vs run open any of them.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.plain_text import md_plain
from netlib.config import MAX_EPOCHS, SPECS
from netlib.presets import PRESETS
from netlib.settings import ConfigError
from netlib.sweep import MAX_SEEDS, PRUNERS, STRATEGIES, Objective, SweepPlan
from netlib.sweep_space import MAX_AXES, parse_axes

AXIS_HELP = (
    "A setting and its values: name=a|b|c (a list) or name=LO..HI[:log][:N] (a range, N grid "
    "points), e.g. lr=1e-3..1e-1:log or layers=dense64|conv8k5 pool2 dense32"
)
DEFAULT_AXES = ("lr=0.05..0.5:log:3", "hidden=16|64", "")


def sweep_form() -> SweepPlan | None:
    """The sweep's settings; None (after saying what is wrong) until they make a valid plan."""
    preset = st.selectbox(
        "Start from",
        sorted(PRESETS),
        index=sorted(PRESETS).index("digits-8x8"),
        format_func=lambda p: PRESETS[p].label,
        key="sweep_preset",
    )
    axes = [
        st.text_input(f"Axis {i + 1}", value=DEFAULT_AXES[i], key=f"sweep_axis_{i}", help=AXIS_HELP)
        for i in range(MAX_AXES)
    ]
    c1, c2, c3 = st.columns(3)
    strategy = c1.selectbox(
        "Strategy",
        STRATEGIES,
        key="sweep_strategy",
        help="grid: every combination; random; tpe: Optuna's model-based "
        "search, which tries next where the results so far look best",
    )
    trials = c2.number_input("Points at most", 1, 200, 12, key="sweep_trials")
    seeds = c3.number_input(
        "Seeds per point",
        1,
        MAX_SEEDS,
        2,
        key="sweep_seeds",
        help="Every point runs the same seeds; two or more show the seed-to-seed spread",
    )
    c4, c5, c6 = st.columns(3)
    epochs = c4.number_input(
        "Epochs per trial",
        1,
        MAX_EPOCHS,
        PRESETS[preset].config.epochs,
        key=f"sweep_epochs_{preset}",
        help=SPECS["epochs"].help,
    )
    pruner = c5.selectbox(
        "Stop weak points early",
        PRUNERS,
        key="sweep_pruner",
        help="median: below the median of the finished points after an "
        "epoch; halving: successive halving",
    )
    objective = c6.text_input(
        "Objective",
        "accuracy",
        key="sweep_objective",
        help="accuracy (validation), or pair:4-9 for the 4↔9 mistakes "
        "per 1,000 test images (lower is better)",
    )
    try:
        return SweepPlan(
            base=PRESETS[preset].config.replace(epochs=int(epochs)),
            axes=tuple(parse_axes([a for a in axes if a.strip()])),
            strategy=strategy,
            trials=int(trials),
            seeds=int(seeds),
            objective=Objective.parse(objective),
            pruner=pruner,
        )
    except ConfigError as exc:
        st.error(f"This sweep cannot run: {md_plain(str(exc))}")
        return None


def show_sweep(snap) -> None:
    """One sweep's state, as a page polls it."""
    t = snap.trials
    st.markdown(
        f"**{md_plain(snap.label)}** · {snap.state} · trials: {t['running']} running, "
        f"{t['queued']} queued, {t['pruned']} pruned, {t['finished']} finished, "
        f"{t['failed']} failed · objective: {snap.plan.objective.label}"
    )
    if snap.reason:
        st.caption(md_plain(snap.reason))
    if snap.points:
        table = pd.DataFrame(snap.points).rename(columns={"seconds": "s/run"})
        st.dataframe(table, hide_index=True, width="stretch", key="sweep_points")
    st.info(snap.verdict)
    if snap.importance:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in snap.importance.items())
        st.caption(f"Importance of each setting (Optuna): {shares}")
