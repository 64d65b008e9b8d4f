"""Reading and setting numpy's OpenBLAS thread count at run time."""

import numpy as np
import pytest

from netlib.blas import blas_threads


def test_blas_threads_can_be_set_and_restored():
    before = blas_threads()
    if before is None:
        pytest.skip("numpy is not linked against its bundled OpenBLAS here")
    try:
        assert blas_threads(1) == 1
        a = np.ones((64, 64), np.float32)
        assert (a @ a == 64).all()  # products still work with one thread
        assert blas_threads(0) == 1  # never below one
    finally:
        assert blas_threads(before) == before
