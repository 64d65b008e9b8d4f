"""Rebuild netlib/data/digits_8x8.npz, the bundled 8x8 digits, with its fixed train/test split.

Source: ../shared/data/digits/digits_8x8.npz (1,797 images, values 0-16, the UCI optdigits
set as scikit-learn ships it). Split: stratified, 20% (ceil, like sklearn) = 360 test and
1,437 training images, seed 0 (netlib.data.split.stratified_split). The split is stored in
the file, so loading never depends on a random generator:

    python tools/make_digits_8x8.py [--src PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netlib.data.checks import as_pair  # noqa: E402
from netlib.data.npz import read_npz, write_npz  # noqa: E402
from netlib.data.sources import DIGITS_FILE  # noqa: E402
from netlib.data.split import stratified_split  # noqa: E402

SEED = 0
TEST_FRACTION = 0.2


def build(src: Path) -> bytes:
    arrays = read_npz(Path(src).read_bytes())
    x, y = as_pair(arrays["images"], arrays["labels"], "digits")
    if x.shape[1:] != (8, 8) or x.max() > 16:
        raise SystemExit(f"{src} is not the 8x8 digits set (values 0-16)")
    train, test = stratified_split(y, TEST_FRACTION, SEED)
    return write_npz(
        {
            "train_images": x[train],
            "train_labels": y[train].astype(np.uint8),
            "test_images": x[test],
            "test_labels": y[test].astype(np.uint8),
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--src", type=Path, default=ROOT.parent / "shared/data/digits/digits_8x8.npz"
    )
    parser.add_argument("--out", type=Path, default=DIGITS_FILE)
    args = parser.parse_args(argv)
    data = build(args.src)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
