"""Fixtures shared by the AppTest page tests; their helpers are in apptest_helpers.py.

A module that uses `home`, or `app` (which needs it), lists the runs to train in a
module-level RUNS = {name: NetConfig}. A module-level fixture of the same name overrides
these (test_page_data, test_page_inspect and test_page_train have their own `app`).
apptest_helpers is imported inside the fixtures, so tests that use none of them do not
import Streamlit and the app.
"""

import pytest


@pytest.fixture(scope="module")
def home(request, tmp_path_factory):
    """A NETLIB_HOME with the module's RUNS trained to the end: (home, name → run id)."""
    from apptest_helpers import trained_home

    return trained_home(tmp_path_factory, request.module.RUNS)


@pytest.fixture
def app(home, monkeypatch):
    """The dashboard under AppTest on the module's trained home."""
    from apptest_helpers import close_app, open_app

    yield open_app(home[0], monkeypatch)
    close_app()


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    """The dashboard under AppTest on a home without any run."""
    from apptest_helpers import close_app, open_app

    yield open_app(tmp_path / "empty-home", monkeypatch)
    close_app()


@pytest.fixture
def make_registry(tmp_path):
    """RunRegistry(home) factory (default home: tmp_path/home) whose loader returns the
    synthetic data set unless told otherwise; every registry it made is closed at the end."""
    from synthetic_data import synthetic_dataset

    from runlayer import RunRegistry

    data = synthetic_dataset()
    made = []

    def make(home=None, **kw):
        kw.setdefault("loader", lambda dataset_id, progress: data)
        reg = RunRegistry(home or tmp_path / "home", **kw)
        made.append(reg)
        return reg

    yield make
    for reg in made:
        reg.close()
