"""Uploaded data sets kept on disk by content, so a run is always scored on what it trained on.

An upload's id is a hash of its canonical arrays: the same file uploaded twice is one data
set, and an id can never come to mean a different file (as the old per-process counter
`upload-1, upload-2, …` did after a restart). Each upload is two files under
$NETLIB_HOME/uploads: `<id>.npz` (the train and test splits exactly as trained on, compressed)
and `<id>.json` (display name, shapes, class counts). Both are written to a temporary file
and renamed, and the manifest goes last: an upload is listed only once it is complete.
Reading goes through netlib's own .npz reader (never pickle, bounded by the declared sizes).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netlib.atomic import atomic_write
from netlib.data.checks import as_pair
from netlib.data.dataset import DataError, Dataset
from netlib.data.npz import read_npz
from netlib.data.uploads import dataset_from_upload
from runlayer.errors import StoreError

UPLOAD_ID_RE = re.compile(r"upload-[0-9a-f]{12}")
LEGACY_ID_RE = re.compile(r"upload-\d+")  # the old in-memory counter: its data is gone
FOLDER = "uploads"
SPLITS = ("train_images", "train_labels", "test_images", "test_labels")
MAX_MANIFEST_BYTES = 1 << 20
STALE_TEMP_SECONDS = 3600  # a temporary file this old is left over from a crash


def is_upload_id(value: object) -> bool:
    return isinstance(value, str) and UPLOAD_ID_RE.fullmatch(value) is not None


def is_legacy_upload_id(value: object) -> bool:
    return isinstance(value, str) and LEGACY_ID_RE.fullmatch(value) is not None


def content_id(images: np.ndarray, labels: np.ndarray) -> str:
    """`upload-` + 12 hex digits of SHA-256 over the shape, the pixels and the labels."""
    x = np.ascontiguousarray(images, dtype=np.uint8)
    y = np.ascontiguousarray(labels, dtype="<i8")
    digest = hashlib.sha256(f"digit-net upload v1 {x.shape}\n".encode())
    digest.update(memoryview(x).cast("B"))
    digest.update(memoryview(y).cast("B"))
    return f"upload-{digest.hexdigest()[:12]}"


@dataclass(frozen=True)
class UploadInfo:
    """What the Data page lists about one upload (its manifest)."""

    id: str
    name: str
    created: float
    image_shape: tuple[int, int]
    n_train: int
    n_test: int
    class_names: tuple[str, ...]
    class_counts: tuple[int, ...]  # train + test, per class
    max_value: int = 255

    @property
    def n_images(self) -> int:
        return self.n_train + self.n_test

    @property
    def data_bytes(self) -> int:
        """Size of the arrays once loaded (uint8 pixels, int64 labels)."""
        h, w = self.image_shape
        return self.n_images * (h * w + 8)

    @property
    def label(self) -> str:
        h, w = self.image_shape
        return f"Upload: {self.name} ({self.n_images:,} images {h}×{w})"

    def to_json(self) -> str:
        return json.dumps({"format": 1, **self.__dict__}, indent=1)

    @classmethod
    def from_json(cls, text: str) -> UploadInfo:
        d = json.loads(text)
        return cls(
            id=str(d["id"]),
            name=str(d["name"]),
            created=float(d["created"]),
            image_shape=(int(d["image_shape"][0]), int(d["image_shape"][1])),
            n_train=int(d["n_train"]),
            n_test=int(d["n_test"]),
            class_names=tuple(str(c) for c in d["class_names"]),
            class_counts=tuple(int(c) for c in d["class_counts"]),
            max_value=int(d.get("max_value", 255)),
        )


class UploadStore:
    """The uploads folder of one data directory. Thread-safe; ids are checked before any path."""

    def __init__(self, home: str | os.PathLike) -> None:
        self.folder = Path(home) / FOLDER
        self._lock = threading.Lock()

    # -- writing ----------------------------------------------------------------------------
    def save(
        self, images: np.ndarray, labels: np.ndarray, name: str
    ) -> tuple[UploadInfo, Dataset | None]:
        """Keep an upload; returns (info, the new Dataset), or (info, None) if already kept.

        The held-out test split is made here once and stored, so later changes to the
        splitting code can never move an image between the splits of an existing upload.
        """
        x, y = as_pair(images, labels, "upload")
        upload_id = content_id(x, y)
        with self._lock:
            known = self.info(upload_id)
            if known is not None:
                return known, None
            ds = dataset_from_upload(x, y, name=name)
            counts = np.bincount(y, minlength=ds.num_classes)
            info = UploadInfo(
                id=upload_id,
                name=name,
                created=time.time(),
                image_shape=ds.image_shape,
                n_train=len(ds.train_labels),
                n_test=len(ds.test_labels),
                class_names=ds.class_names,
                class_counts=tuple(int(c) for c in counts),
                max_value=ds.max_value,
            )
            self._write(upload_id, ds, info)
        return info, ds

    def _write(self, upload_id: str, ds: Dataset, info: UploadInfo) -> None:
        arrays = dict(zip(SPLITS, _split_arrays(ds), strict=True))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self._npz(upload_id), lambda fh: _write_npz(fh, arrays))
            atomic_write(self._manifest(upload_id), lambda fh: fh.write(info.to_json().encode()))
        except OSError as exc:
            self._npz(upload_id).unlink(missing_ok=True)
            raise StoreError(
                f"could not keep the upload in {str(self.folder)!r} "
                f"({exc.strerror or exc}); nothing was added"
            ) from None

    def delete(self, upload_id: str) -> bool:
        """Remove an upload's files (manifest first: it stops being listed at once)."""
        path = self._manifest(_checked(upload_id))
        with self._lock:
            existed = path.is_file()
            try:
                path.unlink(missing_ok=True)
                self._npz(upload_id).unlink(missing_ok=True)
            except OSError as exc:
                raise StoreError(f"could not delete {upload_id}: {exc.strerror or exc}") from None
        return existed

    # -- reading ----------------------------------------------------------------------------
    def info(self, upload_id: str) -> UploadInfo | None:
        """The manifest of a complete upload, or None (unknown id, or unreadable manifest)."""
        if not is_upload_id(upload_id):
            return None
        try:
            with open(self._manifest(upload_id), "rb") as fh:
                text = fh.read(MAX_MANIFEST_BYTES + 1)
            if len(text) > MAX_MANIFEST_BYTES:
                return None
            info = UploadInfo.from_json(text.decode())
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None
        return info if info.id == upload_id else None

    def list(self) -> list[UploadInfo]:
        """Every complete upload, newest first; also clears temporaries left by a crash."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return []
        self._clear_stale(names)
        found = (self.info(n.removesuffix(".json")) for n in names if n.endswith(".json"))
        return sorted((i for i in found if i is not None), key=lambda i: -i.created)

    def load(self, upload_id: str) -> Dataset:
        """The upload's Dataset from disk; DataError saying why when it cannot be."""
        info = self.info(upload_id)
        if info is None:
            if is_legacy_upload_id(upload_id):
                raise DataError(legacy_message(upload_id))
            raise DataError(
                f"the uploaded data set {upload_id!r} is not on this computer (it was "
                "deleted on the Data page, or never uploaded here)"
            )
        path = self._npz(upload_id)
        # Declared sizes bound what is read and inflated: a damaged or swapped file is refused
        # before it can claim more memory than the manifest promised.
        limit = info.data_bytes + 4096 * len(SPLITS)
        try:
            size = path.stat().st_size
            if size > limit + (1 << 20):
                raise DataError(f"its file is {size:,} bytes, more than its data can take")
            arrays = read_npz(path.read_bytes(), max_bytes=limit)
        except OSError as exc:
            raise DataError(
                f"the uploaded data set {info.name!r} ({upload_id}) cannot be read: "
                f"{exc.strerror or exc}"
            ) from None
        except DataError as exc:
            raise DataError(f"the uploaded data set {info.name!r} ({upload_id}): {exc}") from None
        return _dataset(info, arrays)

    # -- paths and housekeeping ----------------------------------------------------------------
    def _npz(self, upload_id: str) -> Path:
        return self.folder / f"{_checked(upload_id)}.npz"

    def _manifest(self, upload_id: str) -> Path:
        return self.folder / f"{_checked(upload_id)}.json"

    def _clear_stale(self, names: Sequence[str]) -> None:
        cutoff = time.time() - STALE_TEMP_SECONDS
        for n in names:
            if n.startswith(".tmp-"):
                path = self.folder / n
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                except OSError:
                    pass  # another process removed or renamed it meanwhile


def legacy_message(upload_id: str) -> str:
    return (
        f"the uploaded data set {upload_id!r} is gone: it was uploaded before uploads were "
        "kept on disk, so the data this run was trained on is no longer available"
    )


def _checked(upload_id: str) -> str:
    """Paths are built only from generated ids, never from text a person typed."""
    if not is_upload_id(upload_id):
        raise DataError(f"not an upload id: {upload_id!r}")
    return upload_id


def _split_arrays(ds: Dataset) -> tuple[np.ndarray, ...]:
    return ds.train_images, ds.train_labels, ds.test_images, ds.test_labels


def _dataset(info: UploadInfo, arrays: dict[str, np.ndarray]) -> Dataset:
    """Rebuild the Dataset, checking the arrays against what the manifest declares."""
    missing = [k for k in SPLITS if k not in arrays]
    if missing:
        raise DataError(f"the uploaded data set {info.id} is damaged: {missing} missing")
    xtr, ytr = as_pair(arrays["train_images"], arrays["train_labels"], f"{info.id} train")
    xte, yte = as_pair(arrays["test_images"], arrays["test_labels"], f"{info.id} test")
    k = len(info.class_names)
    if (
        (len(ytr), len(yte)) != (info.n_train, info.n_test)
        or xtr.shape[1:] != info.image_shape
        or xte.shape[1:] != info.image_shape
        or max(int(ytr.max()), int(yte.max())) >= k
    ):
        raise DataError(f"the uploaded data set {info.id} does not match its manifest")
    return Dataset(info.name, xtr, ytr, xte, yte, info.class_names, info.max_value)


def _write_npz(fh, arrays: dict[str, np.ndarray]) -> None:
    """Stream each array into a deflated zip member: no second copy of the data in memory."""
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, array in arrays.items():
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(array), version=(1, 0))
