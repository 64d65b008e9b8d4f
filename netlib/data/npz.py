"""A careful .npz reader (never unpickles, never inflates past a limit) and a byte-stable writer.

np.load would do for trusted files, but uploads are untrusted: a crafted header can claim a
huge shape, a member can be a zip bomb, and object arrays need pickle. Reading each member
ourselves lets every failure become one clear DataError. The writer pins zip timestamps and
permissions so the bundled files are reproducible bit for bit.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np

from netlib.data.dataset import DataError

ZIP_MAGIC = b"PK\x03\x04"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def read_npz(data: bytes, *, max_bytes: int = 2**30) -> dict[str, np.ndarray]:
    """Return {name: array} for every .npy member; pickled (object) arrays are refused."""
    if len(data) == 0:
        raise DataError("the .npz file is empty")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in zf.infolist() if not i.is_dir()]
        if sum(i.file_size for i in members) > max_bytes:
            raise DataError(f"the .npz file unpacks to more than {max_bytes / 2**20:.1f} MB")
        out = {}
        for info in members:
            name = info.filename.removesuffix(".npy")
            with zf.open(info) as fh:
                raw = fh.read(max_bytes + 1)
            if len(raw) > max_bytes:
                raise DataError(f"the .npz member {name!r} is over the size limit")
            out[name] = _read_npy(raw, name)
        return out
    except DataError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise DataError(f"not a valid .npz (zip) file: {exc}") from None
    except Exception as exc:  # zlib/CRC errors, truncation, encryption: untrusted input
        raise DataError(f"the .npz file is damaged: {type(exc).__name__}: {exc}") from None


def _read_npy(raw: bytes, name: str) -> np.ndarray:
    fh = io.BytesIO(raw)
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
    count = 1
    for d in shape:
        count *= int(d)
    body = raw[fh.tell() :]
    if len(body) != count * dtype.itemsize:
        raise DataError(
            f"the .npz member {name!r} is truncated or padded: shape {shape} of {dtype} needs "
            f"{count * dtype.itemsize} bytes, found {len(body)}"
        )
    order = "F" if fortran else "C"
    arr = np.frombuffer(body, dtype=dtype, count=count).reshape(shape, order=order)
    return np.array(arr, order="C")


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
