"""Fetch a file from the first mirror that serves it intact; never leave a bad file in the cache.

Bytes stream into a temporary file beside the target, are checked (SHA-256 of the
decompressed content and/or MD5 of the file as served) and only then renamed into place,
so an interrupted or corrupt download can never be mistaken for a cached one.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from netlib.data.dataset import DataError

Progress = Callable[[int, "int | None", str], None]
CHUNK = 256 * 1024


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its name on the mirrors and how to recognise a good copy."""

    name: str
    sha256: str | None = None  # of the decompressed bytes (gzip files) or the raw bytes
    md5: str | None = None  # of the file exactly as served
    size: int = 0  # approximate, for "will download N MB"


class ChecksumError(Exception):
    """A complete file arrived but is not the expected one."""


def default_data_dir() -> Path:
    """$NETLIB_DATA_DIR, else the per-user cache directory (XDG-aware)."""
    if os.environ.get("NETLIB_DATA_DIR"):
        return Path(os.environ["NETLIB_DATA_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "digit-net"


def verify_file(path: Path, remote: RemoteFile) -> None:
    """Raise ChecksumError unless the file matches every hash the RemoteFile gives."""
    if remote.md5 is not None:
        with path.open("rb") as fh:
            got = _hash_stream(fh, hashlib.md5(usedforsecurity=False))
        if got != remote.md5:
            raise ChecksumError(f"MD5 {got} does not match the expected {remote.md5}")
    if remote.sha256 is not None:
        with path.open("rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
        try:
            with gzip.open(path, "rb") if gz else path.open("rb") as stream:
                got = _hash_stream(stream, hashlib.sha256())
        except (OSError, EOFError, zlib.error) as exc:
            raise ChecksumError(f"not a valid gzip file ({exc})") from None
        if got != remote.sha256:
            raise ChecksumError(f"SHA-256 {got} does not match the expected {remote.sha256}")


def fetch(
    remote: RemoteFile,
    mirrors: Sequence[str],
    dest_dir: Path,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download remote.name into dest_dir from the first good mirror and return its path."""
    dest_dir = Path(dest_dir)
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the data cache {dest_dir}: {exc}") from None
    target = dest_dir / remote.name
    failures = []
    for base in mirrors:
        url = base if base.endswith(remote.name) else base.rstrip("/") + "/" + remote.name
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=dest_dir)
        except OSError as exc:
            raise DataError(f"cannot write to the data cache {dest_dir}: {exc}") from None
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                _stream(url, out, remote.name, progress, timeout)
            verify_file(tmp, remote)
            os.replace(tmp, target)
            return target
        except urllib.error.HTTPError as exc:
            failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
        except urllib.error.URLError as exc:
            failures.append(f"{url}: {exc.reason}")
        except (OSError, http.client.HTTPException, ValueError, ChecksumError) as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        finally:
            tmp.unlink(missing_ok=True)
    tried = "\n".join(f"  - {f}" for f in failures) or "  (no mirrors were given)"
    raise DataError(
        f"could not download {remote.name}; tried every mirror:\n{tried}\n"
        "To work offline, choose the bundled sample ('mnist-sample'); for full MNIST you can "
        "also set NETLIB_MNIST_DIR to a folder holding its four files."
    )


def _stream(url: str, out, name: str, progress: Progress | None, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": "digit-net"})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        done = 0
        if progress is not None:
            progress(0, total, name)
        while chunk := resp.read(CHUNK):
            out.write(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total, name)
    if total is not None and done != total:
        raise OSError(f"the connection closed after {done} of {total} bytes")


def _hash_stream(stream, h) -> str:
    while chunk := stream.read(1 << 20):
        h.update(chunk)
    return h.hexdigest()
