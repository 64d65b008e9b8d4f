"""Runs and model files written before the layer-stack engine (issue 17) keep loading unchanged.

tests/fixtures/format-1/ was written once by tools/make_format_fixtures.py, then committed:
a data directory with one finished run, a model file, and what they held then.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import close_app, goto, new_app

from app import navigation
from netlib.config import NetConfig
from netlib.data.catalog import load_dataset
from netlib.modelfile import load_model
from netlib.training_data import scale_images
from runlayer import RunRegistry

FIXTURE = Path(__file__).parent / "fixtures" / "format-1"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())


def logits_of(net, config) -> np.ndarray:
    ds = load_dataset("digits-8x8")
    return net.logits(scale_images(ds.test_images[:8], ds.max_value, config.dtype))


@pytest.fixture
def home(tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(FIXTURE / "home", copy)
    return copy


def test_an_old_model_file_loads_and_predicts_as_it_did():
    net, config, _ = load_model(FIXTURE / "model.npz")
    assert config == NetConfig.from_dict(EXPECTED["config"]) and net.sizes == EXPECTED["sizes"]
    expected = np.array(EXPECTED["logits_first_8_test_images"])
    np.testing.assert_allclose(logits_of(net, config), expected, rtol=1e-5, atol=1e-6)


def test_an_old_data_directory_opens_with_its_run_intact(home):
    registry = RunRegistry(home)
    try:
        [record] = registry.store.list_runs()
        assert (record.id, record.name, record.status) == (
            EXPECTED["run_id"], EXPECTED["name"], EXPECTED["status"],
        )  # fmt: skip
        assert record.final_test_acc == pytest.approx(EXPECTED["final_test_acc"])
        epochs = [m["epoch"] for m in registry.store.epoch_metrics(record.id)]
        assert epochs == EXPECTED["epochs"]
        net, config, _ = registry.store.load_weights(record.id, "last")
        expected = np.array(EXPECTED["logits_first_8_test_images"])
        np.testing.assert_allclose(logits_of(net, config), expected, rtol=1e-5, atol=1e-6)
        assert registry.store.orphans() == []
    finally:
        registry.close()


def test_the_inspect_page_shows_an_old_run(home, monkeypatch):
    at = new_app(home, monkeypatch)
    try:
        goto(at, navigation.INSPECT.script)
        accuracy = next(m for m in at.metric if m.label == "Test accuracy")
        assert accuracy.value == f"{EXPECTED['final_test_acc']:.2%}"
    finally:
        close_app()
