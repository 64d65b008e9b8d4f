"""A sweep's snapshot shaped for its charts (figures/sweep.py and the parallel coordinates):
plain lists and dicts, so the figures stay pure and the page only passes them on."""

from __future__ import annotations

import numpy as np

from netlib.sweep import SweepPlan, describe, point_text
from runlayer.sweep_jobs import SweepSnapshot


def chart_axes(plan: SweepPlan) -> list[dict]:
    """Each axis: its name, whether it is a log range, and whether its values are numbers."""
    return [
        {"name": a.name, "log": a.log, "numeric": a.is_range or all(map(_is_number, a.values))}
        for a in plan.axes
    ]


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def setting_points(snapshot: SweepSnapshot) -> list[dict]:
    """Per point: each axis's value as plotted (numbers, else their text) and its seeds'
    final objective values."""
    out = []
    for result in snapshot.points:
        texts = point_text(result.point)
        values = {k: (v if _is_number(v) else texts[k]) for k, v in result.point.items()}
        seeds = list(result.values) if result.state == "complete" else []
        out.append({"values": values, "seeds": seeds})
    return out


def labelled_curves(snapshot: SweepSnapshot) -> dict[str, dict[int, list[float]]]:
    """Point label -> epoch -> the seeds' objective values (the band chart)."""
    return {describe(r.point): snapshot.curves.get(i, {}) for i, r in enumerate(snapshot.points)}


def parallel_rows(snapshot: SweepSnapshot) -> tuple[list[dict], list[str]]:
    """One row per complete point (log axes as log10) and the dimensions, objective last."""
    axes = chart_axes(snapshot.plan)
    names = [f"log10 {a['name']}" if a["log"] else a["name"] for a in axes]
    rows = []
    for p in setting_points(snapshot):
        if not p["seeds"]:
            continue
        row = {"objective": float(np.mean(p["seeds"]))}
        for axis, name in zip(axes, names, strict=True):
            value = p["values"][axis["name"]]
            row[name] = float(np.log10(value)) if axis["log"] else value
        rows.append(row)
    return rows, [*names, "objective"]
