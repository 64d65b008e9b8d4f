"""The IDX format MNIST ships in, read strictly so a damaged file fails loudly, not silently.

Layout: two zero bytes, a type code, the number of dimensions, one big-endian uint32 per
dimension, then the data in C order. Files may be gzipped; the gzip magic is detected.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from netlib.data.dataset import DataError

DEFAULT_MAX_BYTES = 2**30  # trusted files; uploads pass a smaller limit
GZIP_MAGIC = b"\x1f\x8b"
_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MAX_NDIM = 4


def is_gzip(data: bytes) -> bool:
    return bytes(data[:2]) == GZIP_MAGIC


def gunzip(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Decompress (possibly multi-member) gzip, refusing output over max_bytes (gzip bombs)."""
    out = bytearray()
    rest = bytes(data)
    try:
        while True:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += d.decompress(rest, max_bytes + 1 - len(out))
            if len(out) > max_bytes or d.unconsumed_tail:
                raise DataError(f"decompressed data is over the {_mb(max_bytes)} limit")
            if not d.eof:
                raise DataError("the gzip data is truncated (the file ends early)")
            rest = d.unused_data
            if not rest.strip(b"\0"):
                return bytes(out)
            if not is_gzip(rest):
                raise DataError("unexpected bytes after the end of the gzip data")
    except zlib.error as exc:
        raise DataError(f"the gzip data is corrupt ({exc})") from None


def read_idx(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Parse IDX bytes (raw or gzipped) into a native-endian, writable array."""
    if len(data) == 0:
        raise DataError("the IDX file is empty")
    if len(data) > max_bytes:
        raise DataError(f"the IDX file is {_mb(len(data))}, over the {_mb(max_bytes)} limit")
    if is_gzip(data):
        data = gunzip(data, max_bytes)
    if len(data) < 4:
        raise DataError(f"the IDX file is truncated: {len(data)} bytes, no complete header")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in _CODES or not 1 <= ndim <= _MAX_NDIM:
        raise DataError(
            f"wrong IDX magic number 0x{bytes(data[:4]).hex()}: expected 0x0000 followed by a "
            f"type code (08/09/0b/0c/0d/0e) and 1..{_MAX_NDIM} dimensions"
        )
    head = 4 + 4 * ndim
    if len(data) < head:
        raise DataError(f"the IDX file is truncated inside its header ({len(data)} bytes)")
    dims = struct.unpack(f">{ndim}I", data[4:head])
    dtype = np.dtype(_CODES[code])
    count = 1
    for d in dims:
        count *= d
    need = head + count * dtype.itemsize
    if len(data) < need:
        raise DataError(
            f"the IDX file is truncated: shape {dims} needs {need} bytes, found {len(data)}"
        )
    if len(data) > need:
        raise DataError(f"the IDX file has {len(data) - need} unexpected bytes after its data")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=head)
    try:
        shaped = flat.reshape(dims)
    except ValueError:  # e.g. an empty shape whose other sides overflow numpy's size limit
        raise DataError(f"the IDX header claims an impossible shape {dims}") from None
    return shaped.astype(dtype.newbyteorder("="))


def write_idx(array: np.ndarray) -> bytes:
    """Encode an array as raw IDX; integer arrays use the smallest type that holds them."""
    a = np.asarray(array)
    if a.ndim < 1 or a.ndim > _MAX_NDIM:
        raise DataError(f"IDX holds 1..{_MAX_NDIM} dimensions, got {a.ndim}")
    if np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
        lo, hi = (int(a.min()), int(a.max())) if a.size else (0, 0)
        for code in (0x08, 0x09, 0x0B, 0x0C):
            info = np.iinfo(_CODES[code])
            if info.min <= lo and hi <= info.max:
                break
        else:
            raise DataError(f"integer values {lo}..{hi} do not fit in IDX's int32")
    elif a.dtype == np.float32:
        code = 0x0D
    elif a.dtype == np.float64:
        code = 0x0E
    else:
        raise DataError(f"IDX cannot store dtype {a.dtype}")
    header = struct.pack(f">HBB{a.ndim}I", 0, code, a.ndim, *a.shape)
    return header + np.ascontiguousarray(a, dtype=_CODES[code]).tobytes()


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"
