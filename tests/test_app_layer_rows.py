"""The architecture builder's table logic: text <-> rows, and every kind of table edit."""

from __future__ import annotations

import math

import pytest

from app import layer_rows as lr
from netlib import architecture as arch

TEXT = "conv16k5 pool2 conv32k3s2same:tanh dropout0.25 dense128 bn"


def test_rows_round_trip_every_kind_of_layer():
    text = "conv16k5 pool2 avgpool3 conv8k3s2same:tanh bn dropout0.3 flatten dense64:sigmoid"
    rows = lr.rows_of(arch.parse(text))
    assert [r["order"] for r in rows] == list(range(1, 9))
    assert rows[0] == {"order": 1, "layer": "conv", "size": 16.0, "kernel": 5, "stride": 1,
                       "padding": "valid", "activation": lr.NETWORK_ACTIVATION}  # fmt: skip
    assert rows[3]["activation"] == "tanh" and rows[3]["stride"] == 2
    assert rows[1]["activation"] is None and rows[1]["size"] == 2.0
    assert arch.to_text(lr.specs_of(rows)) == text


def test_an_edited_cell_changes_that_layer():
    edits = {"edited_rows": {0: {"size": 24.0, "kernel": 3}, 4: {"activation": "leaky_relu"}}}
    assert lr.edited_text(TEXT, edits) == (
        "conv24k3 pool2 conv32k3s2same:tanh dropout0.25 dense128:leaky_relu bn"
    )


def test_rows_are_added_with_defaults_deleted_and_reordered():
    edits = {
        "deleted_rows": [3, 5],  # the dropout and the bn
        "added_rows": [{"layer": "dense"}, {"layer": "conv", "order": 0.5}],
        "edited_rows": {1: {"order": 9}},  # the pool goes last
    }
    assert (
        lr.edited_text(TEXT, edits) == "conv8k5 conv16k5 conv32k3s2same:tanh dense128 dense64 pool2"
    )


def test_switching_a_rows_kind_keeps_only_the_fields_it_has():
    edits = {"edited_rows": {1: {"layer": "dropout", "size": 0.5}, 0: {"layer": "dense"}}}
    assert lr.edited_text(TEXT, edits).startswith("dense16 dropout0.5 ")


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"edited_rows": {0: {"kernel": 9}}}, r"row 1 \(conv\): field 'kernel'"),
        ({"edited_rows": {2: {"stride": 3}}}, r"row 3 \(conv\): field 'stride'"),
        ({"edited_rows": {3: {"size": 1.5}}}, r"row 4 \(dropout\)"),
        ({"edited_rows": {4: {"size": 2.5}}}, r"row 5 \(dense\): field 'units'"),
        ({"added_rows": [{"size": 3}]}, r"row 7: choose a layer kind"),
        ({"edited_rows": {0: {"layer": "lstm"}}}, r"row 1: unknown layer kind 'lstm'"),
    ],
)
def test_bad_edits_name_the_row_and_the_field(edits, message):
    with pytest.raises(arch.ArchitectureError, match=message):
        lr.edited_text(TEXT, edits)


def test_blank_and_odd_order_cells_keep_table_order():
    rows = lr.rows_of(arch.parse("dense8 dense16 dense32"))
    rows[0]["order"], rows[1]["order"] = math.nan, "x"
    assert arch.to_text(lr.specs_of(rows)) == "dense32 dense8 dense16"


def test_indices_outside_the_table_and_unknown_columns_are_ignored():
    edits = {"edited_rows": {7: {"size": 1}, 0: {"colour": "red"}}, "deleted_rows": [9]}
    assert lr.edited_text(TEXT, edits) == arch.to_text(arch.parse(TEXT))
