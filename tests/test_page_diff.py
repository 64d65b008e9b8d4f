"""Run vs run under AppTest: two tiny runs on one subset, and one run on other data.

The `home`, `app` and `empty_app` fixtures (conftest.py) train and open the RUNS below.
"""

import shutil
import sqlite3

import numpy as np
from apptest_helpers import TINY, array, chart, close_app, evaluated, goto, open_app

from app import diff_view, navigation
from netlib import confusions, metrics
from netlib.config import NetConfig

RUNS = {
    "narrow": TINY,
    "wider": TINY.replace(hidden=(32,), seed=5),
    "digits": NetConfig(dataset="digits-8x8", hidden=(16,), activation="relu", epochs=2, lr=0.5),
}


def choose(at, a: str, b: str) -> None:
    at.selectbox(key=diff_view.A_KEY).set_value(a)
    at.selectbox(key=diff_view.B_KEY).set_value(b).run()
    assert not at.exception, at.exception


def test_without_two_runs_the_page_says_what_to_do(empty_app):
    goto(empty_app, navigation.RUN_DIFF.script)
    assert [t.value for t in empty_app.title] == ["Run vs run"]
    assert any("needs two finished runs" in i.value for i in empty_app.info)


def test_fixed_and_introduced_mistakes_and_the_samples_behind_a_cell(app, home):
    ids = home[1]
    goto(app, navigation.RUN_DIFF.script)
    choose(app, ids["narrow"], ids["wider"])
    _, y, _, _, pred_a = evaluated(ids["narrow"], "last")
    _, _, _, _, pred_b = evaluated(ids["wider"], "last")
    fixed, intro = metrics.fixed_and_introduced(y, pred_a, pred_b, 10)
    assert fixed.sum() > 0 and intro.sum() > 0

    values = {m.label: m.value for m in app.metric}
    assert values["Mistakes B fixed"] == f"{fixed.sum():,}"
    assert values["Mistakes B introduced"] == f"{intro.sum():,}"
    assert values["Net change in errors"] == f"{intro.sum() - fixed.sum():+,}"
    assert values["Run A test accuracy"] == f"{(pred_a == y).mean():.2%}"
    heat = chart(app, diff_view.CHART_KEY)["data"]
    np.testing.assert_array_equal(array(heat[0]["z"]), fixed)
    np.testing.assert_array_equal(array(heat[2]["z"]), intro)
    cma, cmb = (metrics.confusion_matrix(y, pred, 10) for pred in (pred_a, pred_b))
    line = next(m.value for m in app.markdown if m.value.startswith("**4 ↔ 9**"))
    assert f"run A makes {cma[4, 9] + cma[9, 4]} (4→9: {cma[4, 9]}, 9→4: {cma[9, 4]})" in line
    assert f"run B {cmb[4, 9] + cmb[9, 4]} (4→9: {cmb[4, 9]}, 9→4: {cmb[9, 4]})" in line
    assert any("Click a cell" in i.value for i in app.info)

    for which, matrix in ((confusions.FIXED, fixed), (confusions.INTRODUCED, intro)):
        t, p = np.unravel_index(matrix.argmax(), matrix.shape)
        click = {"points": [{"x": int(p), "y": int(t), "customdata": [int(t), int(p), which]}]}
        app.session_state[diff_view.CHART_KEY] = {"selection": click}
        app.run()
        assert not app.exception, app.exception
        expected = confusions.diff_cell_samples(y, pred_a, pred_b, t, p, which)
        assert len(expected) == matrix[t, p]
        titles = [a["text"] for a in chart(app, "diff_grid")["layout"]["annotations"]]
        assert titles == [f"#{i} A:{pred_a[i]} B:{pred_b[i]}" for i in expected]


def test_runs_on_different_data_are_refused_with_a_clear_message(app, home):
    ids = home[1]
    goto(app, navigation.RUN_DIFF.script)
    choose(app, ids["narrow"], ids["digits"])
    (error,) = app.error
    assert "cannot be compared" in error.value and "digits-8x8" in error.value
    assert not [c for c in app.get("plotly_chart") if c.key == diff_view.CHART_KEY]


def test_the_same_run_twice_and_best_weights(app, home):
    ids = home[1]
    goto(app, navigation.RUN_DIFF.script)
    choose(app, ids["wider"], ids["wider"])
    assert any("two different runs" in i.value for i in app.info)
    choose(app, ids["wider"], ids["narrow"])
    app.radio(key=diff_view.CHECKPOINT_KEY).set_value("best").run()
    assert not app.exception, app.exception
    _, y, _, _, pred_a = evaluated(ids["wider"], "best")
    _, _, _, _, pred_b = evaluated(ids["narrow"], "best")
    fixed, _ = metrics.fixed_and_introduced(y, pred_a, pred_b, 10)
    assert {m.label: m.value for m in app.metric}["Mistakes B fixed"] == f"{fixed.sum():,}"


def test_a_stored_run_that_no_longer_reads_is_left_out_of_every_picker(home, tmp_path, monkeypatch):
    """Issue 15: one run whose stored config no longer validates (bad JSON, an unknown
    activation) took Run vs run down with a ConfigError; every page that picks runs skips it."""
    copy = tmp_path / "home"
    shutil.copytree(home[0], copy, ignore=shutil.ignore_patterns("runs.lock"))
    broken = home[1]["wider"]  # the newest of the two on one data set: Run vs run's default B
    at = open_app(copy, monkeypatch)
    try:
        for bad in ('{"activation": "no-such-activation"}', "{not json"):
            with sqlite3.connect(copy / "runs.sqlite3") as con:
                con.execute("UPDATE runs SET config=? WHERE id=?", (bad, broken))
            for page in (navigation.RUN_DIFF, navigation.INSPECT, navigation.PAIR_LENS,
                         navigation.DRAW):  # fmt: skip
                goto(at, page.script)
                assert not at.exception, (page.title, at.exception)
            goto(at, navigation.RUN_DIFF.script)
            options = set(at.selectbox(key=diff_view.A_KEY).options)
            assert not any(broken in o for o in options) and len(options) == 2
    finally:
        close_app()
