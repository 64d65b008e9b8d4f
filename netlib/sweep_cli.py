"""`python -m netlib sweep`: a sweep from the command line, a results table and one JSON line.

    python -m netlib sweep --base wide-relu --vary "lr=1e-3..1e-1:log" \\
        --vary "layers=dense64|dense256|conv8k5 pool2 dense32" --seeds 3 --trials 12 \\
        --executor local --json

The trials run in the run layer's executors (runlayer/sweep_exec.py), imported only here: the
rest of the engine never needs the run layer.
"""

from __future__ import annotations

import argparse
import json
import sys

from netlib.settings import ConfigError
from netlib.sweep import EXECUTORS, MAX_SEEDS, PRUNERS, STRATEGIES, Objective, SweepPlan
from netlib.sweep_space import MAX_AXES, parse_axes


def add_sweep_parser(sub, add_settings) -> None:
    """The `sweep` subcommand; add_settings adds the preset and setting options train takes."""
    s = sub.add_parser("sweep", help="try settings over several seeds and compare them fairly")
    add_settings(s, "--base")
    s.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="AXIS",
        help=f"a swept setting, 1 to {MAX_AXES} times: name=a|b|c or name=LO..HI[:log][:N]",
    )
    s.add_argument("--seeds", type=int, default=1, help=f"seeds per point (1-{MAX_SEEDS})")
    s.add_argument("--trials", type=int, default=12, help="points to try (a grid: at most all)")
    s.add_argument("--strategy", choices=STRATEGIES, default="grid")
    s.add_argument("--pruner", choices=PRUNERS, default="none", help="stop weak points early")
    s.add_argument(
        "--objective",
        default="accuracy",
        help="accuracy (validation), or pair:A-B (A<->B mistakes per 1,000 test images)",
    )
    s.add_argument("--executor", choices=EXECUTORS, default="local")
    s.add_argument(
        "--workers", type=int, help="trials at once (default: one per core, or the cluster's CPUs)"
    )
    s.add_argument("--ray-address", help="a Ray cluster (default: $DIGITNET_RAY_ADDRESS, or local)")
    s.add_argument("--json", action="store_true", help="end with one JSON line of results")


def build_plan(args: argparse.Namespace, base) -> SweepPlan:
    """ConfigError (exit 2, one line) for any axis, count or objective that does not fit."""
    return SweepPlan(
        base=base,
        axes=tuple(parse_axes(args.vary)),
        strategy=args.strategy,
        trials=args.trials,
        seeds=args.seeds,
        objective=Objective.parse(args.objective),
        pruner=args.pruner,
    )


def make_executor(args: argparse.Namespace, datasets=None):
    from runlayer import sweep_exec

    try:
        address = args.ray_address or ""
        return sweep_exec.make_executor(args.executor, args.workers, address, datasets)
    except ValueError as exc:
        raise ConfigError(f"--{exc}") from None


def run_sweep_command(args: argparse.Namespace, base, out=sys.stdout) -> int:
    from netlib.data import DataError
    from netlib.data.catalog import load_dataset
    from runlayer.sweep_runner import run_sweep

    plan = build_plan(args, base)
    try:  # a missing or damaged data set is one line now, not a failure in every trial
        dataset = load_dataset(plan.base.dataset, mnist_dir=args.mnist_dir)
    except DataError as exc:
        raise ConfigError(" ".join(str(exc).split())) from None
    executor = make_executor(args, {(plan.base.dataset, args.mnist_dir): dataset})
    try:
        outcome = run_sweep(plan, executor, mnist_dir=args.mnist_dir)
    finally:
        executor.close()
    out.write(f"{plan.points_planned} points x {plan.seeds} seeds on {outcome.where}; "
              f"objective: {plan.objective.label}\n")  # fmt: skip
    rows = [r.row() for r in outcome.points]
    out.write(format_table(rows) + "\n")
    out.write(outcome.verdict + "\n")
    if outcome.importance:
        shares = ", ".join(f"{k} {v:.0%}" for k, v in outcome.importance.items())
        out.write(f"importance (Optuna): {shares}\n")
    if args.json:
        result = {
            "objective": plan.objective.text(),
            "direction": plan.objective.direction,
            "executor": outcome.where,
            "seeds": plan.seeds,
            "points": rows,
            "best": outcome.best.row() if outcome.best else None,
            "importance": outcome.importance,
        }
        out.write(json.dumps(result) + "\n")
    return 0 if outcome.best is not None else 1


def format_table(rows: list[dict]) -> str:
    def number(v, fmt="{:.4f}") -> str:
        return "-" if v is None else fmt.format(v)

    width = max([len("point"), *(len(r["point"]) for r in rows)])
    lines = [f"{'point':{width}s}  {'state':8s}  {'mean':>8s}  {'std':>8s}  n  {'s/run':>7s}"]
    for r in rows:
        lines.append(
            f"{r['point']:{width}s}  {r['state']:8s}  {number(r['mean']):>8s}  "
            f"{number(r['std']):>8s}  {r['n']}  {number(r['seconds'], '{:.2f}'):>7s}"
        )
    return "\n".join(lines)
