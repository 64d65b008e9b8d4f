"""Rebuild netlib/data/mnist_sample.npz, the bundled MNIST subset, from the canonical files.

The subset is class-balanced (1,000 training and 200 test images per digit), chosen with a
seeded permutation and kept in the original file order. The .npz is written with fixed zip
metadata so running this again reproduces the committed file byte for byte:

    python tools/make_mnist_sample.py [--src ../shared/data/mnist] [--out PATH]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netlib.data.sources import MNIST_FILES, MNIST_SAMPLE_FILE, load_idx_folder  # noqa: E402
from tools._npz_writer import bundled_npz, run  # noqa: E402

SEED = 0
TRAIN_PER_CLASS = 1000
TEST_PER_CLASS = 200


def pick(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """The first per_class indices of each class in a seeded random order, sorted."""
    order = rng.permutation(len(labels))
    chosen = [order[labels[order] == c][:per_class] for c in range(10)]
    return np.sort(np.concatenate(chosen))


def build(src: Path) -> bytes:
    x_train, y_train, x_test, y_test = load_idx_folder(src, MNIST_FILES, verify=True)
    rng = np.random.default_rng(SEED)
    tr = pick(y_train, TRAIN_PER_CLASS, rng)
    te = pick(y_test, TEST_PER_CLASS, rng)
    return bundled_npz(x_train[tr], y_train[tr], x_test[te], y_test[te])


def main(argv: list[str] | None = None) -> None:
    default_src = os.environ.get("NETLIB_MNIST_DIR") or ROOT.parent / "shared/data/mnist"
    run(build, __doc__, Path(default_src), MNIST_SAMPLE_FILE, argv)


if __name__ == "__main__":
    main()
