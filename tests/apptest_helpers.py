"""Helpers shared by the AppTest page tests (tests/test_page_*.py); fixtures are in conftest.py.

Reading charts back (`chart`, `array`), opening a page (`goto`), a fresh dashboard on a given
NETLIB_HOME (`new_app`, `close_app`), and for the pair lens, run diff and draw pages a small
MNIST subset with tiny runs trained on it (`subset`, `trained_home`, `open_app`, `evaluated`).
"""

from __future__ import annotations

import base64
import functools
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app import state
from app.live_chart import COMPONENT_NAME as LIVE_CHART_NAME
from netlib import metrics
from netlib.config import NetConfig
from netlib.data.catalog import load_dataset
from netlib.data.dataset import Dataset
from netlib.training_data import scale_images

ROOT = Path(__file__).resolve().parent.parent
SUBSET = "mnist-lens-subset"
#: A run that trains in a second or two on the subset.
TINY = NetConfig(dataset=SUBSET, hidden=(16,), activation="relu", epochs=2, seed=3)


# -- waiting for a live page -------------------------------------------------------------------
def poll_page(at: AppTest, predicate, seconds: float = 60.0) -> bool:
    """Rerun the page (each run is one tick of its live fragments) until predicate(at)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
        assert not at.exception, at.exception
        if predicate(at):
            return True
    return False


# -- reading the page back -------------------------------------------------------------------
def shown(markdown: str) -> str:
    """What a person reads of markdown whose user-given parts app.plain_text escaped."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def goto(at: AppTest, page: str) -> AppTest:
    """Run the dashboard, switch to `page` (a PageSpec script) and check it raised nothing."""
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def chart(at: AppTest, key: str) -> dict:
    """The plotly figure (as JSON) of the one chart with this key."""
    (el,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(el.proto.spec)


def live_figures(at: AppTest) -> dict[str, dict]:
    """The live charts on the page (app/live_chart.py), by key: their plotly figures as JSON."""
    shown = {}
    for el in at.get("bidi_component"):
        if el.proto.component_name == LIVE_CHART_NAME:
            shown[el.key] = json.loads(json.loads(el.proto.json)["figure"])
    return shown


def array(value) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata", "shape"} (plotly 6+)."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return flat.reshape([int(n) for n in str(value.get("shape", len(flat))).split(",")])
    return np.asarray(value)


# -- a fresh dashboard -----------------------------------------------------------------------
def clear_caches() -> None:
    """Forget the app's process-wide registry and every cached result of the pages."""
    st.cache_resource.clear()  # the registry, the live-figure cache
    st.cache_data.clear()  # every page's cached results


def new_app(home: Path, monkeypatch) -> AppTest:
    """The dashboard under AppTest on NETLIB_HOME=`home`, with nothing cached from before."""
    monkeypatch.setenv("NETLIB_HOME", str(home))
    clear_caches()
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)


def close_app() -> None:
    """Stop the registry's training threads and drop the caches (fixture teardown)."""
    state.get_sweeps().shutdown()
    state.get_embeddings().shutdown()
    state.get_registry().shutdown()
    clear_caches()


# -- tiny runs on a small MNIST subset ---------------------------------------------------------
@functools.cache
def subset() -> Dataset:
    """150 training and 60 test images per digit of the bundled sample: trains in a second."""
    ds = load_dataset("mnist-sample")

    def take(labels, n):
        return np.concatenate([np.flatnonzero(labels == c)[:n] for c in range(10)])

    tr, te = take(ds.train_labels, 150), take(ds.test_labels, 60)
    return Dataset(
        SUBSET,
        ds.train_images[tr],
        ds.train_labels[tr].astype(np.int64),
        ds.test_images[te],
        ds.test_labels[te].astype(np.int64),
        ds.class_names,
    )


def fresh_registry():
    """The app's process-wide registry, rebuilt for $NETLIB_HOME, with the subset added."""
    clear_caches()
    registry = state.get_registry()
    registry.add_dataset(SUBSET, subset())
    return registry


def trained_home(tmp_path_factory, runs: dict[str, NetConfig]) -> tuple[Path, dict[str, str]]:
    """A NETLIB_HOME holding the given runs, trained to the end; returns (home, name → id)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETLIB_HOME", str(home))
        registry = fresh_registry()
        ids = {name: registry.start(config, name) for name, config in runs.items()}
        for run_id in ids.values():
            assert registry.wait(run_id, 60) == "finished"
        registry.shutdown()
        clear_caches()
    return home, ids


def open_app(home: Path, monkeypatch) -> AppTest:
    """new_app(home), its registry already holding the subset the tiny runs were trained on."""
    at = new_app(home, monkeypatch)
    state.get_registry().add_dataset(SUBSET, subset())
    return at


def evaluated(run_id: str, epoch="best"):
    """What the test itself computes with the engine: (net, labels, logits, proba, pred)."""
    net, config, _ = state.get_registry().store.load_weights(run_id, epoch)
    ds = subset()
    logits = net.logits(scale_images(ds.test_images, 255, config.dtype))
    proba = metrics.probabilities(net, scale_images(ds.test_images, 255, config.dtype))
    return net, ds.test_labels, logits, proba, logits.argmax(axis=1)
