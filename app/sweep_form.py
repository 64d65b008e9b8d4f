"""The Sweep page's form: a sweep's settings (from a preset, with up to three axes) and where
its trials run (local worker processes, or a Ray cluster).

The sweep itself runs in the run layer (runlayer/sweep_jobs.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import streamlit as st

from app.plain_text import md_plain
from netlib.config import MAX_EPOCHS, SPECS
from netlib.presets import PRESETS
from netlib.settings import ConfigError
from netlib.sweep import EXECUTORS, MAX_SEEDS, MAX_TRIALS, PRUNERS, STRATEGIES, Objective, SweepPlan
from netlib.sweep_space import MAX_AXES, parse_axes

AXIS_HELP = (
    "A setting and its values: name=a|b|c (a list) or name=LO..HI[:log][:N] (a range, N grid "
    "points), e.g. lr=1e-3..1e-1:log or layers=dense64|conv8k5 pool2 dense32"
)
DEFAULT_AXES = ("lr=0.05..0.5:log:3", "hidden=16|64", "")
DEFAULT_EPOCHS_CAP = 100
RAY_ADDRESS_ENV = "DIGITNET_RAY_ADDRESS"
EXECUTOR_HELP = (
    "local: one worker process per core on this machine. ray: Ray tasks on the cluster at the "
    "address below (pip install -r requirements-ray.txt); with no address, a Ray runtime "
    "started on this machine"
)


@dataclass(frozen=True)
class SweepRequest:
    plan: SweepPlan
    executor: str
    address: str


def sweep_form() -> SweepRequest | None:
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
    trials = c2.number_input("Points at most", 1, MAX_TRIALS, 12, key="sweep_trials")
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
        min(PRESETS[preset].config.epochs, DEFAULT_EPOCHS_CAP),
        key=f"sweep_epochs_{preset}",
        help=f"{SPECS['epochs'].help} A sweep starts at the preset's epochs, at most "
        f"{DEFAULT_EPOCHS_CAP}: it trains many runs.",
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
    c7, c8 = st.columns([1, 2])
    address_default = os.environ.get(RAY_ADDRESS_ENV, "")
    first = EXECUTORS.index("ray" if address_default else "local")
    executor = c7.selectbox(
        "Run the trials on", EXECUTORS, index=first, key="sweep_executor", help=EXECUTOR_HELP
    )
    address = c8.text_input(
        "Ray cluster address", address_default, key="sweep_ray_address",
        disabled=executor != "ray", placeholder="e.g. ray://head:10001, or empty for this machine",
        help=f"Default: ${RAY_ADDRESS_ENV}",
    )  # fmt: skip
    try:
        plan = SweepPlan(
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
    return SweepRequest(plan, executor, address.strip() if executor == "ray" else "")
