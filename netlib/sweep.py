"""A sweep (issue 19): which points to try, what each trial measures, and when to stop one.

A sweep is a base configuration, one to three axes (netlib/sweep_space.py), a strategy that
picks the points (grid, random, or Optuna's TPE), a number of seeds run at every point, an
objective and an optional pruner. Every point runs the same seeds, and for one seed every point
sees the same data (tests/test_sweep_fairness.py), so points differ only by their settings.

The search is Optuna's: each point is one Optuna trial; the seeds' mean objective after each
epoch is what its pruner (median, or successive halving) judges. Where the trials run is the
run layer's business (runlayer/sweep_runner.py); this module holds no process or thread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from netlib.config import SPECS, NetConfig
from netlib.settings import ConfigError
from netlib.sweep_space import Axis, grid_points, parse_axes

STRATEGIES = ("grid", "random", "tpe")
PRUNERS = ("none", "median", "halving")
EXECUTORS = ("local", "ray")  # where trials run: runlayer/sweep_exec.py
MAX_SEEDS = 5
MAX_TRIALS = 200
DEFAULT_VAL_FRACTION = 0.1  # a validation split for the objective when the base has none


@dataclass(frozen=True)
class Objective:
    """Validation accuracy (higher is better), or the mistakes between two classes per 1,000
    test images, both directions counted (lower is better: "which net confuses 4 and 9 least")."""

    pair: tuple[int, int] | None = None

    @staticmethod
    def parse(text: str) -> Objective:
        text = str(text).strip().lower().replace(" ", "")
        if text in ("accuracy", "val_accuracy", "val"):
            return Objective()
        if text.startswith("pair:"):
            a, sep, b = text[5:].replace("<->", "-").partition("-")
            if sep and a.isdigit() and b.isdigit() and a != b:
                return Objective((int(a), int(b)))
        raise ConfigError(
            f"objective {text!r}: use accuracy, or pair:A-B for the confusions between classes "
            "A and B (e.g. pair:4-9)"
        )

    @property
    def direction(self) -> str:
        return "maximize" if self.pair is None else "minimize"

    @property
    def label(self) -> str:
        if self.pair is None:
            return "validation accuracy"
        a, b = self.pair
        return f"{a}↔{b} mistakes per 1,000 test images"

    def text(self) -> str:
        return "accuracy" if self.pair is None else f"pair:{self.pair[0]}-{self.pair[1]}"

    def value(self, val_acc: float | None, test_confusion: np.ndarray | None) -> float | None:
        """One epoch's objective from what the Trainer's EpochEvent reports."""
        if self.pair is None:
            return None if val_acc is None else float(val_acc)
        if test_confusion is None:
            return None
        a, b = self.pair
        k = test_confusion.shape[0]
        if not (a < k and b < k):
            raise ConfigError(f"objective pair {a}-{b}: the data has classes 0..{k - 1}")
        mistakes = int(test_confusion[a, b] + test_confusion[b, a])
        return 1000.0 * mistakes / max(int(test_confusion.sum()), 1)


@dataclass(frozen=True)
class SweepPlan:
    """Everything that decides a sweep's trials; one point x one seed is one training run."""

    base: NetConfig
    axes: tuple[Axis, ...]
    strategy: str = "grid"
    trials: int = 12  # points tried (a grid tries at most its own size)
    seeds: int = 1
    objective: Objective = field(default_factory=Objective)
    pruner: str = "none"
    search_seed: int = 0  # the sampler's own draws (random, TPE), apart from the runs' seeds

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}")
        if self.pruner not in PRUNERS:
            raise ConfigError(f"pruner {self.pruner!r}: use one of {', '.join(PRUNERS)}")
        if not 1 <= int(self.seeds) <= MAX_SEEDS:
            raise ConfigError(f"seeds per point: {self.seeds}; use 1..{MAX_SEEDS}")
        if not 1 <= int(self.trials) <= MAX_TRIALS:
            raise ConfigError(f"trials: {self.trials}; use 1..{MAX_TRIALS}")
        if self.objective.pair is None and self.base.val_fraction == 0:
            # The objective needs held-out images; test images never pick the winner.
            object.__setattr__(self, "base", self.base.replace(val_fraction=DEFAULT_VAL_FRACTION))
        for point in self.first_points():  # every point must make a valid config
            self.config(point, 0)

    @property
    def points_planned(self) -> int:
        if self.strategy == "grid":
            return min(self.trials, len(grid_points(list(self.axes))))
        return self.trials

    def first_points(self) -> list[dict[str, Any]]:
        """Points to check up front: the grid's (every one), else each axis's ends."""
        if self.strategy == "grid":
            return grid_points(list(self.axes))[: self.trials]
        return [{a.name: a.grid()[i] for a in self.axes} for i in (0, -1)]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (the sweep store keeps it, so that a sweep can resume after a restart)."""
        return {
            "base": self.base.to_dict(),
            "axes": [axis.text() for axis in self.axes],
            "strategy": self.strategy,
            "trials": int(self.trials),
            "seeds": int(self.seeds),
            "objective": self.objective.text(),
            "pruner": self.pruner,
            "search_seed": int(self.search_seed),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SweepPlan:
        """The plan to_dict wrote; ConfigError when anything in it does not check."""
        try:
            return SweepPlan(
                base=NetConfig.from_dict(data["base"]),
                axes=tuple(parse_axes(list(data["axes"]))),
                strategy=str(data["strategy"]),
                trials=int(data["trials"]),
                seeds=int(data["seeds"]),
                objective=Objective.parse(str(data["objective"])),
                pruner=str(data["pruner"]),
                search_seed=int(data.get("search_seed", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"a stored sweep plan does not read: {exc!r}") from None

    def config(self, point: dict[str, Any], seed_index: int) -> NetConfig:
        """The run of one point with its seed_index-th seed (the base's seed, +1, +2, ...)."""
        changes = dict(point)
        if changes.get("layers"):
            changes.setdefault("dropout", 0.0)  # an MLP base's dropout does not carry over
        elif "hidden" in changes:
            changes["layers"] = ""
        try:
            return self.base.replace(**changes, seed=self.base.seed + seed_index)
        except (ConfigError, TypeError) as exc:
            raise ConfigError(f"point {describe(point)}: {exc}") from None


def point_text(point: dict[str, Any]) -> dict[str, str]:
    """A point as each setting's text form (exact: what point_from_text reads back)."""
    return {name: SPECS[name].text(value) for name, value in point.items()}


def point_from_text(texts: dict[str, str]) -> dict[str, Any]:
    return {name: SPECS[name].parse(name, text) for name, text in texts.items()}


def describe(point: dict[str, Any]) -> str:
    """A point as the axes' text (lr=0.01, layers=dense64)."""

    def shown(name: str, value: Any) -> str:
        return f"{value:.4g}" if isinstance(value, float) else SPECS[name].text(value)

    return ", ".join(f"{name}={shown(name, value)}" for name, value in point.items())


class Search:
    """Optuna asks for points and is told how each did, epoch by epoch (for its pruner)."""

    def __init__(self, plan: SweepPlan, begun: list[dict[str, Any]] = ()) -> None:
        """begun: the points an interrupted sweep had already asked for, in order; they are
        asked again first (and a grid's other points after them)."""
        import optuna  # the engine's one search dependency, loaded only by sweeps

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.plan, self._optuna = plan, optuna
        samplers = {
            # A grid is its points queued in order (Optuna's GridSampler stops the study
            # itself when the grid is done, which only works inside study.optimize).
            "grid": lambda: optuna.samplers.RandomSampler(seed=plan.search_seed),
            "random": lambda: optuna.samplers.RandomSampler(seed=plan.search_seed),
            "tpe": lambda: optuna.samplers.TPESampler(
                seed=plan.search_seed, n_startup_trials=min(5, max(1, plan.trials // 3))
            ),
        }
        pruners = {
            "none": optuna.pruners.NopPruner,
            "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
            "halving": lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1),
        }
        self.study = optuna.create_study(
            direction=plan.objective.direction,
            sampler=samplers[plan.strategy](),
            pruner=pruners[plan.pruner](),
        )
        queued = list(begun)
        if plan.strategy == "grid":
            seen = {describe(p) for p in queued}
            queued += [p for p in plan.first_points() if describe(p) not in seen]
        for point in queued:
            self.study.enqueue_trial({k: _encode(k, v) for k, v in point.items()})

    def ask(self) -> tuple[Any, dict[str, Any]]:
        """A new Optuna trial and the point it stands for."""
        trial = self.study.ask()
        point = {}
        for axis in self.plan.axes:
            if axis.is_range and self.plan.strategy != "grid":
                if SPECS[axis.name].kind == "int":
                    value = trial.suggest_int(
                        axis.name, int(axis.low), int(axis.high), log=axis.log
                    )
                else:
                    value = trial.suggest_float(axis.name, axis.low, axis.high, log=axis.log)
            else:
                choices = [_encode(axis.name, v) for v in axis.grid()]
                value = _decode(axis.name, trial.suggest_categorical(axis.name, choices))
            point[axis.name] = value
        return trial, point

    def report(self, trial, epoch: int, value: float) -> bool:
        """The seeds' mean objective after an epoch; True when the pruner stops the point."""
        trial.report(value, epoch)
        return trial.should_prune()

    def tell(self, trial, value: float | None, state: str) -> None:
        """state: complete (with value), pruned, or failed."""
        states = self._optuna.trial.TrialState
        if state == "complete" and value is not None and math.isfinite(value):
            self.study.tell(trial, value)
        elif state == "pruned":
            self.study.tell(trial, state=states.PRUNED)
        else:
            self.study.tell(trial, state=states.FAIL)

    def importance(self) -> dict[str, float]:
        """Optuna's importance of each axis over the finished points ({} until it can tell)."""
        done = [t for t in self.study.trials if t.state.name == "COMPLETE"]
        if len(self.plan.axes) < 2 or len(done) < 3:
            return {}
        try:
            return dict(self._optuna.importance.get_param_importances(self.study))
        except (RuntimeError, ValueError, ZeroDivisionError):
            return {}  # e.g. every point scored the same


def _encode(name: str, value: Any) -> Any:
    """Optuna stores only None/bool/int/float/str: tuples (hidden widths) go as their text."""
    return SPECS[name].text(value) if isinstance(value, tuple) else value


def _decode(name: str, value: Any) -> Any:
    return SPECS[name].parse(name, value) if SPECS[name].kind == "widths" else value


@dataclass
class PointResult:
    """One point's seeds: their final objective values and training seconds."""

    point: dict[str, Any]
    values: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    state: str = "running"  # running | complete | pruned | failed
    reason: str = ""

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return float(np.mean(self.values)) if self.values else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation over seeds (None for fewer than two)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else None

    def row(self) -> dict[str, Any]:
        return {
            "point": describe(self.point),
            "state": self.state,
            "mean": self.mean,
            "std": self.std,
            "n": self.n,
            "seconds": float(np.mean(self.seconds)) if self.seconds else None,
        }


def ranked(results: list[PointResult], objective: Objective) -> list[PointResult]:
    """Complete points, best first."""
    done = [r for r in results if r.state == "complete" and r.mean is not None]
    return sorted(done, key=lambda r: r.mean, reverse=objective.direction == "maximize")


def verdict(results: list[PointResult], objective: Objective) -> str:
    """Plain words: is the best point better than the runner-up by more than seed noise?"""
    order = ranked(results, objective)
    if not order:
        return "No point has finished yet."
    best = order[0]
    if len(order) == 1:
        return f"Only one point finished: {describe(best.point)} ({best.mean:.4g})."
    second = order[1]
    gap = abs(best.mean - second.mean)
    head = (
        f"Best: {describe(best.point)} with {objective.label} {best.mean:.4g}; runner-up "
        f"{describe(second.point)} with {second.mean:.4g} (difference {gap:.3g})."
    )
    if best.std is None or second.std is None:
        return head + (
            " With one seed per point the seed-to-seed spread is unknown: run 2-5 seeds per "
            "point before trusting the order."
        )
    noise = 2.0 * math.sqrt(best.std**2 / best.n + second.std**2 / second.n)
    if gap > noise:
        return head + (
            f" The difference is larger than the seed-to-seed spread (±{noise:.3g}, two "
            "standard errors): the best point is better, not just luckier."
        )
    return head + (
        f" The difference is within the seed-to-seed spread (±{noise:.3g}, two standard "
        "errors): these two points cannot be told apart; more seeds would settle it."
    )


def with_epochs(plan: SweepPlan, epochs: int | None) -> SweepPlan:
    """The plan with an epoch budget per trial (None keeps the base's)."""
    return plan if epochs is None else replace(plan, base=plan.base.replace(epochs=int(epochs)))
