"""The Train page's architecture builder: the layers as an editable table beside the Layers
box, and under them what the network is (a per-layer table, totals and a diagram).

The Layers box (and the URL) stays the one source of truth. The table is drawn from it under a
key derived from its text, so a typed change redraws the table, and an edit of the table writes
the box (app/layer_rows.py does the conversion and names a bad row). An edit that cannot be
applied leaves the box as it was and the table as the person left it, with the reason.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

import figures
from app import form
from app import layer_rows as lr
from app.live_view import show_live
from app.plain_text import md_plain
from netlib import architecture as arch
from netlib.activations import ACTIVATIONS
from netlib.config import parse_hidden

ERROR_KEY = "builder_error"
EDITOR_PREFIX = "builder_rows_"


def source_text(state) -> str:
    """What the table shows: the Layers box, else the hidden widths as dense layers (an MLP
    preset), else nothing. Raises ArchitectureError / ConfigError for text that does not parse."""
    text = (state.get(form.KEYS["layers"]) or "").strip()
    if text:
        return arch.to_text(arch.parse(text))
    return arch.to_text(arch.from_hidden(parse_hidden(state.get(form.KEYS["hidden"], ""))))


def editor_key(text: str) -> str:
    return EDITOR_PREFIX + hashlib.sha1(text.encode()).hexdigest()[:12]


def _apply(key: str, text: str) -> None:
    """on_change of the table: its edits -> the Layers box (or the reason they cannot be)."""
    s = st.session_state
    try:
        new_text = lr.edited_text(text, s.get(key) or {})
    except arch.ArchitectureError as exc:
        s[ERROR_KEY] = str(exc)
        return
    s.pop(ERROR_KEY, None)
    s[form.KEYS["layers"]] = new_text
    for old in [k for k in s if isinstance(k, str) and k.startswith(EDITOR_PREFIX)]:
        if old != editor_key(new_text):
            del s[old]


def _columns() -> dict:
    kinds, acts = list(lr.KINDS), [lr.NETWORK_ACTIVATION, *ACTIVATIONS]
    number = st.column_config.NumberColumn
    choice = st.column_config.SelectboxColumn
    return {
        "order": number("order", help=lr.HELP["order"], step=1),
        "layer": choice("layer", options=kinds, help=lr.HELP["layer"], required=True),
        "size": number("size", help=lr.HELP["size"], min_value=0.0, format="%g"),
        "kernel": number("kernel", help=lr.HELP["kernel"], min_value=1, step=1),
        "stride": choice("stride", options=list(arch.STRIDES), help=lr.HELP["stride"]),
        "padding": choice("padding", options=list(arch.PADDINGS), help=lr.HELP["padding"]),
        "activation": choice("activation", options=acts, help=lr.HELP["activation"]),
    }


def render_builder() -> None:
    """The table of layers (add, delete, edit, reorder by 'order'), synced with the box."""
    s = st.session_state
    try:
        text = source_text(s)
    except ValueError:  # the box does not parse: the form says why; nothing to draw
        return
    rows = pd.DataFrame(lr.rows_of(arch.parse(text)), columns=list(lr.COLUMNS))
    rows = rows.astype({"order": "Int64", "kernel": "Int64", "stride": "Int64"})
    key = editor_key(text)
    with st.expander("Layer builder", expanded=bool(s.get(form.KEYS["layers"]))):
        st.caption(
            "Edit the layers as a table (add rows at the bottom, delete with the row's box, "
            "reorder by the 'order' numbers); the Layers box follows. The output layer to the "
            "classes is always added."
        )
        st.data_editor(rows, key=key, num_rows="dynamic", hide_index=True,
                       column_config=_columns(), on_change=_apply, args=(key, text),
                       width="stretch")  # fmt: skip
        if s.get(ERROR_KEY):
            st.error(f"That edit was not applied: {md_plain(s[ERROR_KEY])}")


def stages(table: arch.Summary) -> list[tuple[str, tuple[int, ...], int, int]]:
    """The diagram's stages: the input, then every layer the network has (implicit ones too)."""
    first = ("input", tuple(table.input_shape), 0, 0)
    return [first, *((r.name, tuple(r.output_shape), r.params, r.macs) for r in table.rows)]


def render_overview(place, table: arch.Summary) -> None:
    """Per-layer output shape, parameters and multiply-adds, totals, and the diagram."""
    frame = pd.DataFrame(
        [
            {
                "layer": r.name,
                "output": arch.format_shape(r.output_shape),
                "parameters": r.params,
                "multiply-adds": r.macs,
            }
            for r in table.rows
        ]  # fmt: skip
    )
    box = place.expander(
        f"Network: {len(table.rows)} layers, {table.params:,} parameters, "
        f"{table.macs:,} multiply-adds per image"
    )
    box.dataframe(frame, hide_index=True, width="stretch")
    # Through the live chart (not st.plotly_chart): the Train page then loads one plotly.js,
    # the server's, for this and its live charts alike.
    drawn = stages(table)
    show_live("builder_diagram", repr(drawn), lambda: figures.stack_diagram(drawn), container=box)
