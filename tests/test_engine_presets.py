"""Every preset trains a short version on the bundled data and clearly beats chance."""

import numpy as np
import pytest

from netlib.data.catalog import load_dataset
from netlib.data.dataset import Dataset
from netlib.presets import PRESETS
from netlib.trainer import Trainer
from netlib.training_data import prepare

SHORT = {
    "classic-sigmoid": {"epochs": 2},
    "tiny-relu": {"epochs": 40},
    "digits-8x8": {"epochs": 30},
    "wide-relu": {"epochs": 1},
    "best-mlp": {"epochs": 1},
    "lenet5": {"epochs": 1},
    "fast-cnn": {"epochs": 1},
    "best-cnn": {"epochs": 1},
}


def _subset(ds: Dataset, n_train: int, n_test: int) -> Dataset:
    """A smaller slice keeps the suite fast; the bundled sample is class-balanced and shuffled."""
    return Dataset(
        ds.name,
        ds.train_images[:n_train],
        ds.train_labels[:n_train],
        ds.test_images[:n_test],
        ds.test_labels[:n_test],
        ds.class_names,
        ds.max_value,
    )


def test_presets_have_the_required_ids():
    assert set(PRESETS) == set(SHORT)


@pytest.mark.parametrize("preset_id", list(SHORT))
def test_preset_beats_chance(preset_id):
    preset = PRESETS[preset_id]
    cfg = preset.config.replace(**SHORT[preset_id])
    ds = load_dataset(cfg.dataset)
    if cfg.dataset == "mnist-sample":
        ds = _subset(ds, 3000, 1000)
    data = prepare(ds, cfg.val_fraction, cfg.seed, cfg.dtype)
    accs = []
    end = Trainer(cfg, data, [lambda e: accs.append(getattr(e, "test_acc", None))]).run()
    assert end.status == "finished", end.reason
    final = [a for a in accs if a is not None][-1]
    chance = 1 / ds.num_classes
    assert final > 5 * chance, f"{preset_id}: {final:.3f}"
    assert np.isfinite(final)
