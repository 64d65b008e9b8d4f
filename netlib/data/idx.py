"""The IDX format MNIST ships in, read strictly so a damaged file fails loudly, not silently.

Layout: two zero bytes, a type code, the number of dimensions, one big-endian uint32 per
dimension, then the data in C order. Files may be gzipped; the gzip magic is detected.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Iterator

import numpy as np

from netlib.data.checks import check_declared_shape
from netlib.data.dataset import DataError

DEFAULT_MAX_BYTES = 2**30  # trusted files; uploads pass a smaller limit
MAX_GZIP_MEMBERS = 10_000  # bgzip-style files use 64 KB members: 10,000 is 640 MB
_FIRST_READ, _MAX_READ = 256, 2**20  # input read sizes per member: small first, then doubling
_OUT_PIECE = 2**20
GZIP_MAGIC = b"\x1f\x8b"
_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MAX_NDIM = 4


def is_gzip(data: bytes) -> bool:
    return bytes(data[:2]) == GZIP_MAGIC


def iter_gunzip(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[bytes]:
    """Yield the decompressed bytes of (possibly multi-member) gzip in pieces of <= 1 MB.

    Linear in input and output: the input is fed through a memoryview in reads that start small
    (an empty member is ~20 bytes) and double, so no member copies the rest of the file. Output
    over max_bytes or more than MAX_GZIP_MEMBERS members is refused as soon as it is reached.
    (The ISIZE trailer is not trusted up front: a truncated file ends in arbitrary bytes.)
    """
    view = memoryview(data)
    pos = total = members = 0
    try:
        while True:
            members += 1
            if members > MAX_GZIP_MEMBERS:
                raise DataError(f"the gzip data has over {MAX_GZIP_MEMBERS:,} members")
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            step = _FIRST_READ
            while not d.eof:
                if d.unconsumed_tail:
                    piece = d.unconsumed_tail
                else:
                    if pos >= len(view):
                        raise DataError("the gzip data is truncated (the file ends early)")
                    piece = view[pos : pos + step]
                    pos += len(piece)
                    step = min(2 * step, _MAX_READ)
                out = d.decompress(piece, _OUT_PIECE)
                total += len(out)
                if total > max_bytes:
                    raise DataError(f"decompressed data is over the {_mb(max_bytes)} limit")
                if out:
                    yield out
            pos -= len(d.unused_data)  # bytes read past this member's end belong to the next
            rest = view[pos:]
            if not bytes(rest[:64]).strip(b"\0") and not bytes(rest).strip(b"\0"):
                return
            if not is_gzip(rest):
                raise DataError("unexpected bytes after the end of the gzip data")
    except zlib.error as exc:
        raise DataError(f"the gzip data is corrupt ({exc})") from None


def gunzip(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Decompress (possibly multi-member) gzip, refusing output over max_bytes (gzip bombs)."""
    out = bytearray()
    for piece in iter_gunzip(data, max_bytes):
        out += piece
    return bytes(out)


def read_idx(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Parse IDX bytes (raw or gzipped) into a native-endian, writable array."""
    if len(data) == 0:
        raise DataError("the IDX file is empty")
    if len(data) > max_bytes:
        raise DataError(f"the IDX file is {_mb(len(data))}, over the {_mb(max_bytes)} limit")
    if is_gzip(data):
        data = gunzip_idx(data, max_bytes)
    dims, dtype, head = _header(data)
    count = math.prod(dims)
    need = head + count * dtype.itemsize
    if len(data) < need:
        raise DataError(
            f"the IDX file is truncated: shape {dims} needs {need} bytes, found {len(data)}"
        )
    if len(data) > need:
        raise DataError(f"the IDX file has {len(data) - need} unexpected bytes after its data")
    check_declared_shape(dims, "the IDX file")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=head)
    try:
        shaped = flat.reshape(dims)
    except ValueError:  # e.g. an empty shape whose other sides overflow numpy's size limit
        raise DataError(f"the IDX header claims an impossible shape {dims}") from None
    return shaped.astype(dtype.newbyteorder("="))


def gunzip_idx(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Inflate a gzipped IDX file, but only as far as its header says it should go.

    The header (the first bytes out) declares the shape: a shape over the limits is refused
    before the rest is inflated, and inflating stops one byte past the declared size.
    """
    pieces = iter_gunzip(data, max_bytes)
    out = bytearray()
    for piece in pieces:
        out += piece
        if len(out) >= 4 + 4 * _MAX_NDIM or (len(out) >= 4 and len(out) >= 4 + 4 * out[3]):
            break
    if len(out) < 4:
        return bytes(out)  # _header names what is missing
    dims, dtype, head = _header(bytes(out[: 4 + 4 * _MAX_NDIM]))
    check_declared_shape(dims, "the IDX file")
    need = head + math.prod(dims) * dtype.itemsize
    if need > max_bytes:
        raise DataError(f"the IDX header declares {_mb(need)}, over the {_mb(max_bytes)} limit")
    for piece in pieces:
        out += piece
        if len(out) > need:
            break  # read_idx reports the unexpected bytes; inflating the rest is not needed
    pieces.close()
    return bytes(out)


def idx_header_size(head: bytes) -> int:
    """Total bytes a raw IDX file must have, from its first 20 bytes; limits checked first."""
    dims, dtype, head_len = _header(head[: 4 + 4 * _MAX_NDIM])
    check_declared_shape(dims, "the IDX file")
    return head_len + math.prod(dims) * dtype.itemsize


def _header(data: bytes) -> tuple[tuple[int, ...], np.dtype, int]:
    """(dims, big-endian dtype, header length) from the first bytes of an IDX file."""
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
    return struct.unpack(f">{ndim}I", data[4:head]), np.dtype(_CODES[code]), head


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
