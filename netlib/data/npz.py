"""A careful .npz reader (never unpickles, never inflates past a limit) and a byte-stable writer.

np.load would do for trusted files, but uploads are untrusted: a crafted header can claim a
huge shape, a member can be a zip bomb, and object arrays need pickle. Reading each member
ourselves lets every failure become one clear DataError. The writer pins zip timestamps and
permissions so the bundled files are reproducible bit for bit.
"""

from __future__ import annotations

import contextlib
import io
import math
import zipfile
from collections.abc import Callable

import numpy as np

from netlib.data.dataset import DataError

ShapeCheck = Callable[[str, tuple[int, ...], np.dtype], None]  # raises to refuse a member

ZIP_MAGIC = b"PK\x03\x04"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def read_npz(
    data: bytes, *, max_bytes: int = 2**30, check: ShapeCheck | None = None
) -> dict[str, np.ndarray]:
    """Return {name: array} for every .npy member; pickled (object) arrays are refused.

    Sizes are checked as declared before anything is inflated: the zip directory's
    uncompressed sizes against max_bytes, then each .npy header's shape (via check) and its
    implied byte count against the member's declared size.
    """
    with NpzReader(data, max_bytes) as reader:
        return {name: reader.read(name, check) for name in reader.names}


class NpzReader:
    """One .npz opened for reading member by member, so a caller can read a header member first
    and decide what the others must look like (model files) before inflating them."""

    def __init__(self, data: bytes, max_bytes: int = 2**30) -> None:
        if len(data) == 0:
            raise DataError("the .npz file is empty")
        self.max_bytes = max_bytes
        with _errors():
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            members = [i for i in self._zip.infolist() if not i.is_dir()]
        if sum(i.file_size for i in members) > max_bytes:
            raise DataError(f"the .npz file unpacks to more than {max_bytes / 2**20:.1f} MB")
        self._info = {i.filename.removesuffix(".npy"): i for i in members}
        self.names = list(self._info)

    def __enter__(self) -> NpzReader:
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()

    def declared_size(self, name: str) -> int:
        """The member's uncompressed size as the zip directory states it (nothing inflated)."""
        return self._info[name].file_size

    def read(self, name: str, check: ShapeCheck | None = None) -> np.ndarray:
        """One member: header parsed and checked first, then exactly its declared body."""
        info = self._info[name]
        with _errors(), self._zip.open(info) as fh:
            shape, fortran, dtype = _read_npy_header(fh, name)
            if check is not None:
                check(name, shape, dtype)
            need = math.prod(shape) * dtype.itemsize
            if fh.tell() + need != info.file_size:
                raise DataError(
                    f"the .npz member {name!r} is truncated or padded: shape {shape} of "
                    f"{dtype} needs {need} bytes, found {info.file_size - fh.tell()}"
                )
            body = fh.read(need)
            if len(body) != need or fh.read(1):
                raise DataError(f"the .npz member {name!r} is truncated")
            order = "F" if fortran else "C"
            flat = np.frombuffer(body, dtype=dtype, count=math.prod(shape))
            return np.array(flat.reshape(shape, order=order), order="C")


@contextlib.contextmanager
def _errors():
    """Whatever zipfile or zlib raise on untrusted bytes becomes one DataError."""
    try:
        yield
    except DataError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise DataError(f"not a valid .npz (zip) file: {exc}") from None
    except Exception as exc:  # zlib/CRC errors, truncation, encryption: untrusted input
        raise DataError(f"the .npz file is damaged: {type(exc).__name__}: {exc}") from None


def _read_npy_header(fh, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except Exception as exc:  # the header is a Python literal from an untrusted file
        raise DataError(f"the .npz member {name!r} is not a valid .npy array: {exc}") from None
    if dtype.hasobject:
        raise DataError(
            f"the .npz member {name!r} holds Python objects and would need pickle, which is "
            "refused for safety; save plain numeric arrays"
        )
    return tuple(int(d) for d in shape), fortran, dtype


def write_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """Deflate-compressed .npz whose bytes depend only on the arrays (and zlib's version)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), version=(1, 0))
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, member.getvalue(), compresslevel=6)
    return buf.getvalue()
