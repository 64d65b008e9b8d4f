"""The Train page's architecture builder: the table follows the Layers box, its edits write
the box (or say which row is wrong), and the network's overview sits under it."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from apptest_helpers import live_figures, shown

from app import layer_builder
from figures.architecture import stack_diagram
from netlib import architecture as arch

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(empty_app):
    """The dashboard on a home without runs (conftest.py)."""
    return empty_app


def _table(at, index=0):
    return at.dataframe[index].value


def test_the_table_shows_the_layers_box_and_an_mlp_presets_widths(app):
    app.run()
    assert not app.exception, app.exception
    hidden = app.text_input(key="f_hidden").value
    assert list(_table(app)["layer"]) == ["dense"] * len(hidden.split(","))
    app.text_input(key="f_layers").set_value("conv8k5 pool2 dense32:tanh").run()
    rows = _table(app)
    assert list(rows["layer"]) == ["conv", "maxpool", "dense"]
    assert list(rows["size"]) == [8, 2, 32] and rows["kernel"][0] == 5
    assert rows["activation"][2] == "tanh" and rows["activation"][0] == "(network's)"


def test_the_overview_lists_every_layer_with_totals_and_a_diagram(app):
    app.run()
    app.text_input(key="f_layers").set_value("conv8k5 pool2 dense32").run()
    table = arch.summary(arch.parse("conv8k5 pool2 dense32"), (1, 28, 28), 10)
    overview = _table(app, 1)
    assert list(overview["layer"]) == [r.name for r in table.rows]
    assert list(overview["parameters"]) == [r.params for r in table.rows]
    assert list(overview["output"])[0] == "8×24×24"
    labels = [e.label for e in app.expander]
    assert (
        f"Network: 5 layers, {table.params:,} parameters, {table.macs:,} multiply-adds per image"
        in labels
    )
    diagram = live_figures(app)["builder_diagram"]
    assert len(diagram["layout"]["shapes"]) == len(table.rows) + 1  # and the input


def test_a_layer_that_does_not_fit_is_refused_by_name(app):
    app.run()
    app.text_input(key="f_layers").set_value("conv8k5 pool2 pool2 pool2 pool2 pool2").run()
    errors = [e.value for e in app.error]
    assert any("token 6 'pool2'" in shown(e) for e in errors), errors
    assert not [e for e in app.expander if e.label.startswith("Network:")]


def test_an_edit_that_cannot_be_applied_is_shown_and_loses_nothing(app):
    app.run()
    app.text_input(key="f_layers").set_value("conv8k5 dense32").run()
    app.session_state[layer_builder.ERROR_KEY] = (
        "row 1 (conv): field 'kernel': 9 is over the limit 7"
    )
    app.run()
    assert any(
        "That edit was not applied" in shown(e.value) and "row 1 (conv)" in shown(e.value)
        for e in app.error
    )
    assert app.text_input(key="f_layers").value == "conv8k5 dense32"


def test_applying_table_edits_writes_the_box_and_drops_stale_tables(monkeypatch):
    text = "conv8k5 pool2 dense32"
    key = layer_builder.editor_key(text)
    fake = {"f_layers": text, key: {"edited_rows": {0: {"size": 16}}, "deleted_rows": [1]},
            layer_builder.EDITOR_PREFIX + "old": {}}  # fmt: skip
    monkeypatch.setattr(st, "session_state", fake)
    layer_builder._apply(key, text)
    assert fake["f_layers"] == "conv16k5 dense32"
    assert not [k for k in fake if k.startswith(layer_builder.EDITOR_PREFIX)]
    bad_key = layer_builder.editor_key("conv16k5 dense32")
    fake[bad_key] = {"edited_rows": {0: {"kernel": 9}}}
    layer_builder._apply(bad_key, "conv16k5 dense32")
    assert fake["f_layers"] == "conv16k5 dense32"  # unchanged
    assert "row 1 (conv): field 'kernel'" in fake[layer_builder.ERROR_KEY]
    assert bad_key in fake  # the person's edits stay in the table


def test_the_diagram_draws_one_box_per_stage_sized_by_its_shape():
    stages = layer_builder.stages(
        arch.summary(arch.parse("conv8k5 pool2 dense32"), (1, 28, 28), 10)
    )
    fig = stack_diagram(stages)
    boxes = fig.layout.shapes
    assert len(boxes) == len(stages) == 6
    height = [b.y1 - b.y0 for b in boxes]
    assert height[0] > height[1] > height[2]  # 28×28 input, 24×24 conv, 12×12 pool
    width = [b.x1 - b.x0 for b in boxes]
    assert width[1] > width[0]  # 8 channels against 1
    assert "208 parameters" in fig.data[0].hovertext[1]
    assert stack_diagram([]).layout.annotations[0].text == "no layers"
