"""Compare page under AppTest: the runs table, overlaid curves of the picked runs, the
hyperparameter chart, rename and delete.

The `home`, `app` and `empty_app` fixtures (conftest.py) train and open the RUNS below.
"""

import json
import shutil
import sqlite3
import time

import pytest
from apptest_helpers import (
    SUBSET,
    TINY,
    array,
    chart,
    close_app,
    goto,
    live_figures,
    new_app,
    open_app,
    shown,
    subset,
    trained_home,
)

from app import navigation, state
from app.compare_table import table_key
from netlib.config import MAX_EPOCHS
from runlayer import paths

RUNS = {"narrow": TINY, "wider": TINY.replace(hidden=(32,), seed=5, lr=0.2)}
PAGE = navigation.COMPARE.script
OVERLAY_KEYS = {"cmp_loss", "cmp_acc", "cmp_tloss", "cmp_vacc"}


def pick(at, rows: list[int]) -> None:
    """Select table rows as a click would (the dataframe's selection state)."""
    key = table_key(list(at.dataframe[0].value["id"]))
    at.session_state[key] = {"selection": {"rows": rows, "columns": []}}
    at.run()
    assert not at.exception, at.exception


def test_without_runs_the_page_says_where_to_start(empty_app):
    goto(empty_app, PAGE)
    assert any("No runs yet" in i.value for i in empty_app.info)
    assert not empty_app.dataframe


def test_the_table_lists_every_run_with_its_stored_results(app, home):
    goto(app, PAGE)
    table = app.dataframe[0].value
    store = state.get_registry().store
    assert sorted(table["name"]) == sorted(RUNS) and set(table["status"]) == {"finished"}
    for name, run_id in home[1].items():
        row = table[table["id"] == run_id].iloc[0]
        rec = store.get_run(run_id)
        assert row["name"] == name and row["architecture"] == rec.config.architecture
        assert row["test acc"] == pytest.approx(rec.final_test_acc)
        assert row["best val acc"] == pytest.approx(rec.best_val_acc)
        assert row["epochs"] == f"{TINY.epochs}/{TINY.epochs}" and row["lr"] == rec.config.lr
        cfg = rec.config
        assert (row["activation"], row["optimizer"], row["batch"]) == (
            cfg.activation, cfg.optimizer, cfg.batch_size,
        )  # fmt: skip
        assert (row["dropout"], row["l2"], row["loss"]) == (cfg.dropout, cfg.l2, cfg.loss)
        assert row["seconds"] == round(rec.train_seconds, 1) and rec.train_seconds > 0


def test_picked_runs_are_overlaid_one_line_each(app):
    goto(app, PAGE)
    assert any("Select one or more rows" in i.value for i in app.info)
    assert not OVERLAY_KEYS & set(live_figures(app))
    names = list(app.dataframe[0].value["name"])
    pick(app, [0, 1])
    shown = live_figures(app)
    assert set(shown) >= OVERLAY_KEYS
    for key in OVERLAY_KEYS:
        traces = shown[key]["data"]
        assert [t["name"] for t in traces] == names
        assert all(len(array(t["x"])) == TINY.epochs for t in traces)
    pick(app, [1])
    assert [t["name"] for t in live_figures(app)["cmp_acc"]["data"]] == names[1:]


def test_the_hyperparameter_chart_has_one_line_per_finished_run(app, home):
    goto(app, PAGE)
    parcoords = chart(app, "parcoords")["data"][0]
    assert parcoords["type"] == "parcoords"
    labels = [d["label"] for d in parcoords["dimensions"]]
    assert labels[0] == "hidden units" and labels[-1] == "test_acc"
    store = state.get_registry().store
    accs = sorted(store.get_run(i).final_test_acc for i in home[1].values())
    assert sorted(array(parcoords["dimensions"][-1]["values"])) == pytest.approx(accs)
    assert sorted(array(parcoords["line"]["color"])) == pytest.approx(accs)


def test_rename_and_delete_change_the_store(tmp_path_factory, monkeypatch):
    home, ids = trained_home(tmp_path_factory, {"keep": TINY, "drop": TINY.replace(seed=9)})
    at = open_app(home, monkeypatch)
    try:
        goto(at, PAGE)
        at.selectbox(key="compare_target").set_value(ids["keep"])
        at.text_input(key=f"compare_new_name_{ids['keep']}").set_value("  my best run ").run()
        next(b for b in at.button if b.label == "Rename").click().run()
        assert not at.exception
        store = state.get_registry().store
        assert store.get_run(ids["keep"]).name == "my best run"
        assert "my best run" in list(at.dataframe[0].value["name"])

        at.selectbox(key="compare_target").set_value(ids["drop"]).run()
        delete = next(b for b in at.button if b.label == "Delete")
        assert delete.disabled  # not before the box is ticked
        at.checkbox(key="compare_confirm_delete").check().run()
        next(b for b in at.button if b.label == "Delete").click().run()
        assert not at.exception
        assert [r.id for r in store.list_runs()] == [ids["keep"]]
        assert list(at.dataframe[0].value["id"]) == [ids["keep"]]
        assert not paths.run_dir(home, ids["drop"]).exists()
        assert paths.run_dir(home, ids["keep"]).exists()
    finally:
        close_app()


def test_the_overlay_of_a_running_run_grows_while_it_trains(tmp_path, monkeypatch):
    at = open_app(tmp_path / "home", monkeypatch)
    try:
        registry = state.get_registry()
        run_id = registry.start(TINY.replace(epochs=MAX_EPOCHS), "still training")
        deadline = time.monotonic() + 60
        while len(registry.snapshot(run_id).metrics) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        goto(at, PAGE)
        pick(at, [0])
        before = len(array(live_figures(at)["cmp_tloss"]["data"][0]["x"]))
        assert before >= 2
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # each run() is one tick of the overlay's poll
            time.sleep(0.3)
            at.run()
            if len(array(live_figures(at)["cmp_tloss"]["data"][0]["x"])) > before + 1:
                break
        assert len(array(live_figures(at)["cmp_tloss"]["data"][0]["x"])) > before + 1
        assert not at.exception
        assert registry.stop(run_id)  # it trains until stopped, however fast the machine
    finally:
        close_app()


def test_a_run_whose_stored_config_no_longer_validates_is_listed_as_unreadable(
    home, tmp_path, monkeypatch
):
    copy = tmp_path / "home"
    shutil.copytree(home[0], copy)
    broken, fine = home[1]["narrow"], home[1]["wider"]
    with sqlite3.connect(copy / "runs.sqlite3") as con:
        config = json.loads(
            con.execute("SELECT config FROM runs WHERE id=?", (broken,)).fetchone()[0]
        )
    at = open_app(copy, monkeypatch)
    try:
        for bad in (dict(config, activation="no-such-activation"), "{not json"):
            text = bad if isinstance(bad, str) else json.dumps(bad)
            with sqlite3.connect(copy / "runs.sqlite3") as con:
                con.execute("UPDATE runs SET config=? WHERE id=?", (text, broken))
            goto(at, PAGE)
            assert not at.exception
            [warning] = [shown(w.value) for w in at.warning]
            assert f"Run **narrow** ({broken}) cannot be read:" in warning
            assert list(at.dataframe[0].value["id"]) == [fine]  # the rest are listed
    finally:
        close_app()


def test_a_truncated_database_is_offered_a_rebuild_that_brings_every_run_back(
    home, tmp_path, monkeypatch
):
    copy = tmp_path / "home"
    shutil.copytree(home[0], copy, ignore=shutil.ignore_patterns("runs.lock"))
    for name in ("runs.sqlite3", "runs.sqlite3-wal", "runs.sqlite3-shm"):
        if (copy / name).exists():
            (copy / name).write_bytes(b"")
    at = open_app(copy, monkeypatch)
    try:
        goto(at, PAGE)
        [warning] = [w.value for w in at.warning]
        assert "2 run folder(s)" in warning and "missing from the run database" in warning
        assert any("No runs yet" in i.value for i in at.info)
        button = next(b for b in at.button if b.key == "rebuild_history")
        button.click().run()
        assert not at.exception
        assert "2 run(s) rebuilt" in at.success[0].value
        at.run()
        assert sorted(at.dataframe[0].value["name"]) == sorted(RUNS) and not at.warning
    finally:
        close_app()


def test_a_damaged_database_is_set_aside_and_rebuilt_from_the_page(home, tmp_path, monkeypatch):
    copy = tmp_path / "home"
    shutil.copytree(home[0], copy, ignore=shutil.ignore_patterns("runs.lock"))
    (copy / "runs.sqlite3").write_bytes(b"garbage " * 1000)
    for name in ("runs.sqlite3-wal", "runs.sqlite3-shm"):
        (copy / name).unlink(missing_ok=True)
    at = new_app(copy, monkeypatch)
    try:
        at.run()
        assert not at.exception
        assert "damaged" in at.error[0].value
        next(b for b in at.button if b.key == "set_aside_db").click().run()
        assert not at.exception
        [message] = [s.value for s in at.success]
        assert "was kept as" in message and "2 run(s) rebuilt" in message
        assert list(copy.glob("runs.sqlite3.damaged-*"))
        state.get_registry().add_dataset(SUBSET, subset())
        goto(at, PAGE)
        assert sorted(at.dataframe[0].value["name"]) == sorted(RUNS)
    finally:
        close_app()


def test_the_selection_stays_on_the_same_runs_when_rows_move(tmp_path_factory, monkeypatch):
    home, ids = trained_home(
        tmp_path_factory, {"a": TINY, "b": TINY.replace(seed=7), "c": TINY.replace(seed=8)}
    )
    at = open_app(home, monkeypatch)
    try:
        goto(at, PAGE)
        table = list(at.dataframe[0].value["id"])
        pick(at, [table.index(ids["b"])])
        assert overlaid(at) == ["b"]

        registry = state.get_registry()
        new = registry.start(TINY.replace(seed=11), "newest")  # listed first: rows move down
        assert registry.wait(new, 60) == "finished"
        at.run()
        assert list(at.dataframe[0].value["id"])[0] == new
        assert overlaid(at) == ["b"]  # not the run that now sits where b was

        registry.delete(ids["a"])
        at.run()
        assert overlaid(at) == ["b"]
    finally:
        close_app()


def overlaid(at) -> list[str]:
    """The names of the runs whose curves the overlay shows."""
    return [trace["name"] for trace in live_figures(at)["cmp_loss"]["data"]]
