"""The architecture builder's table: layer specs <-> editable rows, and a data editor's edits.

The text form (the "Layers" box, the URL) stays the one source of truth: the table is drawn
from it, and an edit of the table is turned back into text through netlib.architecture's JSON
form, which checks every field and names the row that is wrong. Pure functions (no Streamlit),
so every edit a person can make is tested without a browser.
"""

from __future__ import annotations

import math
from typing import Any

from netlib import architecture as arch

COLUMNS = ("order", "layer", "size", "kernel", "stride", "padding", "activation")
NETWORK_ACTIVATION = "(network's)"  # no :act suffix: the network's activation applies
KINDS = tuple(arch.KINDS)  # conv, maxpool, avgpool, dense, dropout, batchnorm, flatten
# The one "size" column means, per kind: filters, units, the pool window, the drop rate.
SIZE_FIELD = {"conv": "filters", "dense": "units", "maxpool": "size", "avgpool": "size",
              "dropout": "p"}  # fmt: skip
# What a new row of a kind starts with, for the fields the person has not filled in yet.
DEFAULTS: dict[str, dict[str, Any]] = {
    "conv": {"filters": 8, "kernel": 5, "stride": 1, "padding": "valid"},
    "dense": {"units": 64},
    "maxpool": {"size": 2},
    "avgpool": {"size": 2},
    "dropout": {"p": 0.25},
    "batchnorm": {},
    "flatten": {},
}
HELP = {
    "order": "Position in the stack: change the numbers to reorder the layers.",
    "layer": "Layer kind: conv (convolution), maxpool / avgpool, dense, dropout, batchnorm, "
    "flatten.",
    "size": "Filters (conv), units (dense), window (pooling) or drop probability (dropout).",
    "kernel": "Convolution kernel size (k×k).",
    "stride": f"Convolution stride, {' or '.join(map(str, arch.STRIDES))}.",
    "padding": "valid: no padding (the image shrinks by kernel-1); same: the size is kept.",
    "activation": "The activation after a conv or dense layer; (network's) uses the form's.",
}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def rows_of(specs: list[arch.LayerSpec]) -> list[dict[str, Any]]:
    """One row per layer, every column present (None where the kind has no such field)."""
    rows = []
    for position, item in enumerate(arch.to_json(specs), start=1):
        kind = item["kind"]
        size = item.get(SIZE_FIELD.get(kind, ""))
        rows.append({
            "order": position,
            "layer": kind,
            "size": None if size is None else float(size),
            "kernel": item.get("kernel"),
            "stride": item.get("stride"),
            "padding": item.get("padding"),
            "activation": (item.get("activation") or NETWORK_ACTIVATION)
            if kind in ("conv", "dense") else None,
        })  # fmt: skip
    return rows


def _item(row: dict[str, Any], position: int) -> dict[str, Any]:
    """A row -> the JSON form of its layer: the kind's own fields only, blanks defaulted."""
    kind = row.get("layer")
    if _blank(kind):
        raise arch.ArchitectureError(f"row {position}: choose a layer kind", position)
    kind = str(kind)
    if kind not in arch.KINDS:
        raise arch.ArchitectureError(
            f"row {position}: unknown layer kind {kind!r} (one of {', '.join(KINDS)})", position
        )
    item: dict[str, Any] = {"kind": kind, **DEFAULTS[kind]}
    if kind in SIZE_FIELD and not _blank(row.get("size")):
        item[SIZE_FIELD[kind]] = row["size"]
    for name in ("kernel", "stride", "padding"):
        if name in item and not _blank(row.get(name)):
            item[name] = row[name]
    activation = row.get("activation")
    if kind in ("conv", "dense") and not _blank(activation) and activation != NETWORK_ACTIVATION:
        item["activation"] = activation
    for name, value in item.items():  # whole numbers from the table's float cells
        if name != "p" and isinstance(value, float) and value.is_integer():
            item[name] = int(value)
    return item


def _order_key(indexed: tuple[int, dict[str, Any]]) -> tuple[float, int]:
    index, row = indexed
    order = row.get("order")
    try:
        place = float(order)
    except (TypeError, ValueError):
        place = math.inf
    return (math.inf if math.isnan(place) else place, index)


def specs_of(rows: list[dict[str, Any]]) -> list[arch.LayerSpec]:
    """Rows (in their 'order', ties and blanks keeping table order) -> checked specs; an
    ArchitectureError names the row (its position after sorting) and the field."""
    ordered = [row for _, row in sorted(enumerate(rows), key=_order_key)]
    items = [_item(row, position) for position, row in enumerate(ordered, start=1)]
    try:
        return arch.from_json(items)
    except arch.ArchitectureError as exc:
        raise arch.ArchitectureError(str(exc).replace("layer ", "row ", 1), exc.position) from None


def apply_edits(rows: list[dict[str, Any]], edits: dict[str, Any]) -> list[dict[str, Any]]:
    """A data editor's state ({"edited_rows": {i: {column: value}}, "added_rows": [...],
    "deleted_rows": [i, ...]}) applied to the rows it was drawn from. Added rows go last
    unless they say otherwise."""
    out = [dict(row) for row in rows]
    for index, change in (edits.get("edited_rows") or {}).items():
        i = int(index)
        if 0 <= i < len(out):
            out[i].update({k: v for k, v in change.items() if k in COLUMNS})
    deleted = {int(i) for i in edits.get("deleted_rows") or []}
    out = [row for i, row in enumerate(out) if i not in deleted]
    for added in edits.get("added_rows") or []:
        row = dict.fromkeys(COLUMNS) | {k: v for k, v in added.items() if k in COLUMNS}
        if _blank(row["order"]):
            row["order"] = len(out) + 1
        out.append(row)
    return out


def edited_text(text: str, edits: dict[str, Any]) -> str:
    """The layers text after a table edit of the rows drawn from `text`."""
    return arch.to_text(specs_of(apply_edits(rows_of(arch.parse(text)), edits)))
