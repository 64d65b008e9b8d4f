"""What tools/make_*.py share: the layout of a bundled .npz, and the --src/--out command line."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from netlib.data.npz import write_npz


def bundled_npz(train_images, train_labels, test_images, test_labels) -> bytes:
    """A bundled set as .npz bytes: images as given, labels as uint8, fixed zip metadata."""
    return write_npz(
        {
            "train_images": train_images,
            "train_labels": train_labels.astype(np.uint8),
            "test_images": test_images,
            "test_labels": test_labels.astype(np.uint8),
        }
    )


def run(
    build: Callable[[Path], bytes],
    doc: str,
    src: Path,
    out: Path,
    argv: Sequence[str] | None = None,
) -> None:
    """The scripts' main: parse --src/--out (defaults `src`, `out`), build(src), write it to out.

    The first line of `doc` (the script's docstring) is the description in --help.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--src", type=Path, default=src)
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args(argv)
    data = build(args.src)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes)")
