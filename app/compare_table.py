"""The Compare page's data: runs as a table and as curve series (pure: no streamlit)."""

from __future__ import annotations

import hashlib

import pandas as pd

from netlib import architecture as arch
from netlib.config import ConfigError, NetConfig
from runlayer.records import RunRecord

HYPER_COLUMNS = ["activation", "optimizer", "lr", "batch", "epochs", "dropout", "l2"]
#: The last axis is the result itself, so a line can be read off against it (it also colours).
PARALLEL_DIMENSIONS = [
    "hidden units", "activation", "optimizer", "lr", "batch", "dropout", "test_acc",
]  # fmt: skip


Shape = tuple[tuple[int, int, int], int]  # (channels, height, width) of an image, classes


def network_size(cfg: NetConfig, shape: Shape | None) -> tuple[int | None, int | None]:
    """(parameters, multiply-adds per image) of cfg's network on data of `shape`; (None,
    None) when the data's shape is not known here or the layers do not fit it."""
    if shape is None:
        return None, None
    try:
        table = arch.summary(cfg.layer_specs, *shape)
    except ConfigError:
        return None, None
    return table.params, table.macs


def run_row(rec: RunRecord, shape: Shape | None = None) -> dict:
    cfg = rec.config
    params, macs = network_size(cfg, shape)
    return {
        "id": rec.id,
        "name": rec.name,
        "status": rec.status,
        "data": cfg.dataset,
        "architecture": cfg.architecture,
        "parameters": params,
        "multiply-adds": macs,
        "hidden units": sum(cfg.hidden),
        "activation": cfg.activation,
        "loss": cfg.loss,
        "optimizer": cfg.optimizer,
        "lr": cfg.lr,
        "batch": "full" if cfg.batch_size <= 0 else cfg.batch_size,
        "epochs": f"{rec.epochs_done}/{cfg.epochs}",
        "dropout": cfg.dropout,
        "l2": cfg.l2,
        "best val acc": rec.best_val_acc,
        "test acc": rec.final_test_acc if rec.final_test_acc is not None else rec.best_test_acc,
        "seconds": round(rec.train_seconds, 1),
    }


def runs_table(records: list[RunRecord], shapes: dict[str, Shape] | None = None) -> pd.DataFrame:
    """Newest first; accuracies as fractions (the page formats them as percentages).
    `shapes`: data set id -> (image shape, classes), for the parameter and multiply-add
    columns (empty where a run's data set is not in it)."""
    shapes = shapes or {}
    ordered = sorted(records, key=lambda r: r.created, reverse=True)
    rows = [run_row(r, shapes.get(r.config.dataset)) for r in ordered]
    columns = [
        "id", "name", "status", "data", "architecture", "parameters", "multiply-adds",
        "activation", "loss", "optimizer", "lr", "batch", "epochs", "dropout", "l2",
        "best val acc", "test acc", "seconds",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def table_key(ids: list[str]) -> str:
    """The table widget's key, new whenever the rows change: a table's selection is a list of
    row positions, so a new run at the top would move every tick onto another run. A new
    widget starts from the picked ids instead (selection_rows)."""
    digest = hashlib.sha1(",".join(ids).encode()).hexdigest()[:12]
    return f"compare_table_{digest}"


def selection_rows(ids: list[str], picked: list[str]) -> dict:
    """The picked runs as a dataframe selection of the rows shown now (deleted ones drop)."""
    return {"selection": {"rows": [ids.index(i) for i in picked if i in ids], "columns": []}}


def parallel_rows(records: list[RunRecord]) -> list[dict]:
    """Finished runs with a test accuracy, for the hyperparameters-vs-accuracy chart."""
    out = []
    for rec in records:
        row = run_row(rec)
        if row["test acc"] is None:
            continue
        row["batch"] = 0 if row["batch"] == "full" else row["batch"]
        row["test_acc"] = row["test acc"]
        out.append(row)
    return out


def curve_series(name: str, metrics: list[dict]) -> dict:
    """One run's per-epoch metrics in the shape figures.compare_curves takes."""
    keys = ("train_loss", "val_loss", "train_acc", "val_acc", "test_acc")
    series = {"name": name, "epochs": [m["epoch"] for m in metrics]}
    for key in keys:
        series[key] = [m.get(key) for m in metrics]
    return series
