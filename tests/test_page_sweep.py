"""The Sweep page under AppTest: a bad axis is named and Start stays off; a small sweep runs
in worker processes, its points, verdict and charts appear, each trial is a run of the store;
after a restart the sweep is still listed, its best point opens in the Train form, its results
download as CSV, and it deletes with its trials."""

from __future__ import annotations

import time

from apptest_helpers import chart, clear_caches, goto, shown

from app import navigation, state

PAGE = navigation.SWEEP.script
PATIENCE = 600  # a bound against a hang only


def _button(at, words):
    return next(b for b in at.button if words in b.label)


def test_a_bad_axis_is_named_and_start_stays_off(empty_app):
    at = goto(empty_app, PAGE)
    at.text_input(key="sweep_axis_0").set_value("lr=0..1:log").run()
    assert any("axis lr: 0.0 is outside" in shown(e.value) for e in at.error)
    assert _button(at, "Start the sweep").disabled


def test_the_ray_address_is_asked_only_for_ray(empty_app):
    at = goto(empty_app, PAGE)
    assert at.selectbox(key="sweep_executor").value == "local"
    assert at.text_input(key="sweep_ray_address").disabled
    at.selectbox(key="sweep_executor").set_value("ray").run()
    assert not at.text_input(key="sweep_ray_address").disabled


def _run_small_sweep(at):
    at.text_input(key="sweep_axis_0").set_value("hidden=8|32")
    at.text_input(key="sweep_axis_1").set_value("")
    at.number_input(key="sweep_epochs_digits-8x8").set_value(3)
    at.run()
    _button(at, "Start the sweep").click().run()
    assert not at.exception, at.exception
    sweeps = state.get_sweeps()
    deadline = time.monotonic() + PATIENCE
    while sweeps.running_id() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    snap = sweeps.snapshot()
    assert snap.info.state == "finished", snap.info.reason
    return snap


def test_a_sweep_runs_and_stays_listed_after_a_restart(empty_app):
    at = goto(empty_app, PAGE)
    snap = _run_small_sweep(at)
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["point"]) == ["hidden=8", "hidden=32"] and set(table["n"]) == {2}
    assert any(i.value.startswith("Best: hidden=") for i in at.info)
    assert any("4 finished" in m.value and "on local" in m.value for m in at.markdown)
    runs = {r.id: r for r in state.get_registry().store.list_runs()}
    assert {t.run_id for t in snap.rows} == set(runs) and len(runs) == 4
    assert all(r.status == "finished" and r.name.startswith("sweep ") for r in runs.values())
    bands = chart(at, "sweep_bands")["data"]
    assert sum(t.get("fill") == "toself" for t in bands) == 2  # a seed band per point
    assert [t["name"] for t in bands if "name" in t] == ["hidden=8", "hidden=32"]
    by_setting = chart(at, "sweep_by_setting")["data"]
    assert sorted(by_setting[0]["y"]) == sorted(v for r in snap.points for v in r.values)

    state.get_registry().shutdown()
    clear_caches()  # a new server on the same home: the sweep is read back from the store
    at = goto(at, PAGE)
    assert not at.exception, at.exception
    assert at.selectbox(key="sweep_shown").value == snap.info.id
    assert list(at.dataframe[0].value["point"]) == ["hidden=8", "hidden=32"]
    assert _button(at, "Open the best point").disabled is False
    best = state.get_sweeps().snapshot().points
    winner = max(best, key=lambda r: r.mean).point["hidden"]
    _button(at, "Open the best point").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key="f_hidden").value == ",".join(map(str, winner))

    at = goto(at, PAGE)
    at.checkbox(key="sweep_delete_sure").check().run()
    _button(at, "Delete the sweep").click().run()
    assert not at.exception, at.exception
    assert state.get_sweeps().list() == []
    assert state.get_registry().store.list_runs() == []
