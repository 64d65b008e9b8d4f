"""Rebuild netlib/data/digits_8x8.npz, the bundled 8x8 digits, with its fixed train/test split.

Source: ../shared/data/digits/digits_8x8.npz (1,797 images, values 0-16, the UCI optdigits
set as scikit-learn ships it). Split: stratified, 20% (ceil, like sklearn) = 360 test and
1,437 training images, seed 0 (netlib.data.split.stratified_split). The split is stored in
the file, so loading never depends on a random generator:

    python tools/make_digits_8x8.py [--src PATH] [--out PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from netlib.data.checks import as_pair  # noqa: E402
from netlib.data.npz import read_npz  # noqa: E402
from netlib.data.sources import DIGITS_FILE  # noqa: E402
from netlib.data.split import stratified_split  # noqa: E402
from tools._npz_writer import bundled_npz, run  # noqa: E402

SEED = 0
TEST_FRACTION = 0.2


def build(src: Path) -> bytes:
    arrays = read_npz(Path(src).read_bytes())
    x, y = as_pair(arrays["images"], arrays["labels"], "digits")
    if x.shape[1:] != (8, 8) or x.max() > 16:
        raise SystemExit(f"{src} is not the 8x8 digits set (values 0-16)")
    train, test = stratified_split(y, TEST_FRACTION, SEED)
    return bundled_npz(x[train], y[train], x[test], y[test])


def main(argv: list[str] | None = None) -> None:
    run(build, __doc__, ROOT.parent / "shared/data/digits/digits_8x8.npz", DIGITS_FILE, argv)


if __name__ == "__main__":
    main()
