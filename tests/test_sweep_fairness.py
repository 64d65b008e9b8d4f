"""Fair by construction: for one seed, every point of a sweep trains on the same validation
split, in the same data order, on the same batches with the same augmentation draws; only the
swept settings differ, and the initial weights only where the architecture does."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from synthetic_data import synthetic_dataset

from netlib import trainer as trainer_module
from netlib.config import NetConfig
from netlib.trainer import Trainer
from netlib.training_data import prepare

BASE = NetConfig(
    dataset="synthetic", hidden=(16,), activation="relu", epochs=2, batch_size=32, lr=0.05,
    augment_shift=1, val_fraction=0.2, seed=7,
)  # fmt: skip
# Each point changes settings a sweep varies; none changes the seed or the batch size.
POINTS = {
    "base": {},
    "lr": {"lr": 0.3},
    "dropout": {"dropout": 0.5},
    "l2": {"l2": 1e-3},
    "optimizer": {"optimizer": "adam", "lr": 1e-3},
    "activation": {"activation": "tanh"},
    "width": {"hidden": (48,)},
    "cnn": {"hidden": (), "layers": "conv4k3 pool2 dropout0.3 dense16"},
}
TRAINER_STEP = Trainer._step  # the real step, wrapped afresh for each point


def _fingerprint(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for a in arrays:
        digest.update(np.ascontiguousarray(a).tobytes())
    return digest.hexdigest()[:16]


def _what_a_point_sees(config: NetConfig, monkeypatch) -> dict:
    """Train one point; record the validation split and every batch that reached a step."""
    data = prepare(synthetic_dataset(n_train=300, size=12), config.val_fraction, config.seed)
    batches: list[str] = []

    def recording_step(self, xb, yb, *args, **kwargs):
        batches.append(_fingerprint(xb, yb))
        return TRAINER_STEP(self, xb, yb, *args, **kwargs)

    monkeypatch.setattr(Trainer, "_step", recording_step)
    trainer = Trainer(config, data, workers=1)
    first_weights = _fingerprint(trainer.net.params()[0])
    end = trainer.run()
    assert end.status == "finished", end.reason
    return {"val": _fingerprint(data.val_index), "batches": batches, "w0": first_weights}


@pytest.fixture(scope="module")
def seen():
    with pytest.MonkeyPatch.context() as mp:
        return {
            name: _what_a_point_sees(replace(BASE, **change), mp) for name, change in POINTS.items()
        }


def test_every_point_sees_the_same_split_order_batches_and_shifts(seen):
    base = seen["base"]
    assert len(base["batches"]) == 2 * int(np.ceil(240 / 32))  # 2 epochs of 240 training images
    assert len(set(base["batches"])) == len(base["batches"])  # shifted batches, all different
    for name, what in seen.items():
        assert what["val"] == base["val"], name
        assert what["batches"] == base["batches"], name


def test_initial_weights_differ_only_where_the_architecture_does(seen):
    same_architecture = ["lr", "dropout", "l2", "optimizer", "activation"]
    assert all(seen[name]["w0"] == seen["base"]["w0"] for name in same_architecture)
    assert seen["width"]["w0"] != seen["base"]["w0"]  # 16 vs 48 first-layer units


def test_another_seed_is_another_draw(monkeypatch):
    a = _what_a_point_sees(BASE, monkeypatch)
    b = _what_a_point_sees(replace(BASE, seed=8), monkeypatch)
    assert a["val"] != b["val"] and a["batches"][0] != b["batches"][0]


def test_the_shift_stream_is_not_the_dropout_stream(monkeypatch):
    """Before the augmentation had its own stream, dropout's masks moved the shifts."""
    draws = []
    shift = trainer_module.random_shift

    def recording_shift(x, shape, k, rng):
        draws.append(id(rng))
        return shift(x, shape, k, rng)

    monkeypatch.setattr(trainer_module, "random_shift", recording_shift)
    data = prepare(synthetic_dataset(n_train=100, size=12), 0.0, 1)
    trainer = Trainer(replace(BASE, dropout=0.5, epochs=1, val_fraction=0.0), data, workers=1)
    trainer.run()
    assert draws and set(draws) == {id(trainer._augment_rng)}
    assert trainer._augment_rng is not trainer._noise_rng
