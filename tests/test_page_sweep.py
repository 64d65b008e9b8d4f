"""The Sweep page under AppTest: a bad axis is named and Start stays off; a small sweep runs
in worker processes, its points and verdict appear, and each trial is a run of the store."""

from __future__ import annotations

import time

from apptest_helpers import goto, shown

from app import navigation, state

PAGE = navigation.SWEEP.script


def _button(at, words):
    return next(b for b in at.button if words in b.label)


def test_a_bad_axis_is_named_and_start_stays_off(empty_app):
    at = goto(empty_app, PAGE)
    at.text_input(key="sweep_axis_0").set_value("lr=0..1:log").run()
    assert any("axis lr: 0.0 is outside" in shown(e.value) for e in at.error)
    assert _button(at, "Start the sweep").disabled


def test_a_sweep_runs_shows_its_points_and_verdict_and_stores_every_trial(empty_app):
    at = goto(empty_app, PAGE)
    at.text_input(key="sweep_axis_0").set_value("hidden=8|32")
    at.text_input(key="sweep_axis_1").set_value("")
    at.number_input(key="sweep_epochs_digits-8x8").set_value(3)
    at.run()
    _button(at, "Start the sweep").click().run()
    assert not at.exception, at.exception
    sweeps = state.get_sweeps()
    deadline = time.monotonic() + 300
    while sweeps.snapshot().state == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    snap = sweeps.snapshot()
    assert snap.state == "finished", snap.reason
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["point"]) == ["hidden=8", "hidden=32"] and set(table["n"]) == {2}
    assert any(i.value.startswith("Best: hidden=") for i in at.info)
    assert any("2 finished" not in m.value and "4 finished" in m.value for m in at.markdown)
    runs = {r.id: r for r in state.get_registry().store.list_runs()}
    assert set(snap.run_ids.values()) == set(runs) and len(runs) == 4
    assert all(r.status == "finished" and r.name.startswith("sweep ") for r in runs.values())
