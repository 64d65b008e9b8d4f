"""How many threads numpy's bundled OpenBLAS uses, read and set at run time.

Training threads share the machine with the dashboard (and often the browser watching it).
A BLAS that spreads each small matrix product over every core stalls whenever any core is
busy elsewhere, so the run layer can ask for one thread per training run instead.
threadpoolctl would do this too; numpy's own library is reached directly to avoid a dependency.
"""

from __future__ import annotations

import ctypes
import glob
from functools import cache
from pathlib import Path

import numpy as np


@cache
def _openblas():
    """(get, set) C functions of numpy's bundled OpenBLAS, or None when it is not found."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(glob.glob(str(libs / "*openblas*.so*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
            get = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            put = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
            if get is not None and put is not None:
                return get, put
    return None


def blas_threads(set_to: int | None = None) -> int | None:
    """The OpenBLAS thread count (after setting it to `set_to`), or None if unknown."""
    fns = _openblas()
    if fns is None:
        return None
    get, put = fns
    if set_to is not None:
        put(max(1, int(set_to)))
    return int(get())
